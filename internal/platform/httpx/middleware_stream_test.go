package httpx

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// A stream is counted as one, not timed: its minutes are no latency.
func TestObserveCountsStreamsApartFromLatency(t *testing.T) {
	r := mux.NewRouter()
	InstallRouting(r)
	r.HandleFunc("/stream-test", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, ": heartbeat\n\n")
	})
	h := Observe("stream-test", slog.New(slog.DiscardHandler), r)
	timed := testutil.CollectAndCount(requestDuration)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/stream-test", nil))
	require.Equal(t, 1.0, testutil.ToFloat64(streamsServed.WithLabelValues("stream-test", "/stream-test", "200")))
	require.Equal(t, timed, testutil.CollectAndCount(requestDuration), "the stream was timed")
}

// A proxy whose client left aborts on purpose (http.ErrAbortHandler): the
// abort goes on to the server, which drops the connection, and is logged
// as no panic.
func TestObserveLetsAnAbortThrough(t *testing.T) {
	var logged bytes.Buffer
	h := Observe("abort-test", slog.New(slog.NewTextHandler(&logged, nil)), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	require.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	})
	require.NotContains(t, logged.String(), "panic serving request")
}
