package events

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/propagation"

	"github.com/orderflow/orderflow/internal/platform/requestid"
)

// Origin is what caused an event: the request and the trace of the change
// that wrote it. It is stored with the event and goes out in Kafka
// headers (and the traceparent CloudEvents attribute), not in the data.
type Origin struct {
	// RequestID is the X-Request-ID behind the change (the API's, or the
	// order's through its workflows), or "" (e.g. an order started from
	// the CLI).
	RequestID string
	// TraceParent is the W3C traceparent of the span that wrote the event,
	// or "" when tracing is off.
	TraceParent string
}

// OriginOf is the origin of a change made with ctx.
func OriginOf(ctx context.Context) Origin {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return Origin{RequestID: requestid.From(ctx), TraceParent: carrier.Get("traceparent")}
}

// TraceID is the trace of TraceParent (version-traceid-spanid-flags), or ""
// when there is none.
func (o Origin) TraceID() string {
	parts := strings.Split(o.TraceParent, "-")
	if len(parts) != 4 || len(parts[1]) != 32 {
		return ""
	}
	return parts[1]
}
