package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func tracer() (*tracetest.SpanRecorder, trace.TracerProvider) {
	rec := tracetest.NewSpanRecorder()
	return rec, sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
}

// A request is a server span named after its route, which continues the
// caller's trace and whose trace ID the response quotes; probes and
// scrapes are not traced.
func TestTraceNamesTheSpanAfterTheRouteAndAnswersTheTraceID(t *testing.T) {
	rec, tp := tracer()
	r := mux.NewRouter()
	InstallRouting(r)
	MountOps(r, nil)
	r.HandleFunc("/api/orders/{id}", func(w http.ResponseWriter, _ *http.Request) {}).Methods(http.MethodGet)
	h := Trace(tp, "api", r)

	req := httptest.NewRequest(http.MethodGet, "/api/orders/o-42", nil)
	const caller = "4bf92f3577b34da6a3ce929d0e0e4736"
	req.Header.Set("traceparent", "00-"+caller+"-00f067aa0ba902b7-01")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)

	require.Equal(t, caller, w.Header().Get(TraceIDHeader))
	spans := rec.Ended()
	require.Len(t, spans, 1)
	require.Equal(t, "GET /api/orders/{id}", spans[0].Name())
	require.Equal(t, trace.SpanKindServer, spans[0].SpanKind())
	require.Equal(t, caller, spans[0].SpanContext().TraceID().String())

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Len(t, rec.Ended(), 1, "a scrape is no span")
}

// A provider call is a client span whose context goes out in traceparent,
// and its latency is recorded by provider and status code.
func TestProviderClientTracesAndTimesEachCall(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("traceparent")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	rec, tp := tracer()
	before := testutil.CollectAndCount(providerRequestDuration)

	resp, err := ProviderClient("testprovider", 0, tp).Post(srv.URL, "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()

	spans := rec.Ended()
	require.Len(t, spans, 1)
	require.Equal(t, "testprovider POST", spans[0].Name())
	require.Equal(t, trace.SpanKindClient, spans[0].SpanKind())
	require.Contains(t, got, spans[0].SpanContext().TraceID().String(), "the provider gets the trace context")
	require.Equal(t, before+1, testutil.CollectAndCount(providerRequestDuration))
	require.Equal(t, 1, testutil.CollectAndCount(providerRequestDuration.MustCurryWith(map[string]string{"provider": "testprovider", "code": "202"})))
}
