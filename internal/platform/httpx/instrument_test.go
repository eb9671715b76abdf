package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// InstrumentTransport traces and times the calls through the transport it
// is given, as ProviderClient does through the default one.
func TestInstrumentTransportTracesAndTimesThroughItsBase(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("traceparent")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	rec, tp := tracer()
	base := &countingTransport{next: http.DefaultTransport}

	client := &http.Client{Transport: InstrumentTransport("instrumented", tp, base)}
	resp, err := client.Post(srv.URL, "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()

	require.Equal(t, 1, base.calls, "the call goes through the base transport")
	spans := rec.Ended()
	require.Len(t, spans, 1)
	require.Equal(t, "instrumented POST", spans[0].Name())
	require.Contains(t, got, spans[0].SpanContext().TraceID().String())
	// Deleting the series proves it was recorded, and leaves the histogram
	// as TestProviderClientTracesAndTimesEachCall counts it.
	require.True(t, providerRequestDuration.DeleteLabelValues("instrumented", "204"), "the call's latency is recorded")
}

type countingTransport struct {
	calls int
	next  http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.calls++
	return c.next.RoundTrip(r)
}
