package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/internal/platform/logging"
)

// A line logged with a span's context carries its IDs, under the same keys
// as the Temporal SDK's lines once renamed.
func TestLinesCarryTheTraceAndSpanIDs(t *testing.T) {
	var buf bytes.Buffer
	logger := logging.New(&buf, "info").With("request_id", "r-1")
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled,
	})
	logger.InfoContext(trace.ContextWithSpanContext(context.Background(), sc), "http request")
	logger.Info("from the SDK", "TraceID", "abc", "SpanID", "def")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &first))
	require.NoError(t, json.Unmarshal(lines[1], &second))
	require.Equal(t, sc.TraceID().String(), first["trace_id"])
	require.Equal(t, sc.SpanID().String(), first["span_id"])
	require.Equal(t, "r-1", first["request_id"])
	require.Equal(t, "abc", second["trace_id"])
	require.Equal(t, "def", second["span_id"])

	buf.Reset()
	logger.InfoContext(context.Background(), "no span")
	require.NotContains(t, buf.String(), "trace_id")
}
