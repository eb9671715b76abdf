// Package logging builds the process logger with log/slog: JSON lines for
// the services, so log shippers can index order_id, workflow_id,
// request_id and trace_id; text for `orderflow dev`, which a person reads
// in a terminal.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// New returns a JSON logger at the given level ("debug", "info", "warn", "error").
func New(w io.Writer, level string) *slog.Logger {
	return slog.New(traceHandler{slog.NewJSONHandler(w, options(level))})
}

// NewText returns a human-readable logger at the given level.
func NewText(w io.Writer, level string) *slog.Logger {
	return slog.New(traceHandler{slog.NewTextHandler(w, options(level))})
}

func options(level string) *slog.HandlerOptions {
	return &slog.HandlerOptions{Level: parseLevel(level), ReplaceAttr: traceKeys}
}

// traceKeys names the trace and span IDs the same in every line: the
// Temporal SDK's tracing interceptor adds them to workflow and activity
// loggers as TraceID and SpanID.
func traceKeys(_ []string, a slog.Attr) slog.Attr {
	switch a.Key {
	case "TraceID":
		a.Key = "trace_id"
	case "SpanID":
		a.Key = "span_id"
	}
	return a
}

// traceHandler adds trace_id and span_id to a line logged with a context
// that holds a span (logger.InfoContext(ctx, ...), as the HTTP middleware
// logs each request).
type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}

func parseLevel(level string) slog.Level {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
