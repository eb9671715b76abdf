package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// TraceFinder is the trace store an order's trace is read from
// (telemetry.TraceStore).
type TraceFinder interface {
	Find(ctx context.Context, q telemetry.TraceQuery) (telemetry.Trace, error)
}

// workflowIDAttribute is the attribute the Temporal SDK's tracing
// interceptor gives every span of a workflow, its ID.
const workflowIDAttribute = "temporalWorkflowID"

// traceWindow is how far from the order's created_at its trace is looked
// for: the API's StartWorkflow span starts as the order is placed, on the
// same clock.
const traceWindow = time.Minute

// traceAttributes are the span attributes worth showing an operator.
var traceAttributes = []string{
	workflowIDAttribute, "temporalActivityID",
	"http.request.method", "http.route", "http.response.status_code", "error.type",
	"db.system.name", "messaging.destination.name",
}

// GetOrderTrace is GET /api/orders/{id}/trace (admin): the order's trace,
// from the trace store, for the dashboard's waterfall.
func (s *Server) GetOrderTrace(ctx context.Context, req GetOrderTraceRequestObject) (GetOrderTraceResponseObject, error) {
	if s.Traces == nil {
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, "tracing is not configured: the API has no trace store to ask (TRACES_QUERY_URL)")
	}
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	t, err := s.orderTrace(ctx, o)
	if err != nil {
		return nil, err
	}
	return GetOrderTrace200JSONResponse{Body: t}, nil
}

// orderTrace finds o's trace among the API's own spans: its
// StartWorkflow span names the workflow, and so do the later requests
// that update it (an approval, a cancel), in traces of their own; the
// store answers the one that began first. A store that does not answer is
// a 503 to retry, never a 500.
func (s *Server) orderTrace(ctx context.Context, o orders.Order) (OrderTrace, error) {
	t, err := s.Traces.Find(ctx, telemetry.TraceQuery{
		Service: s.TraceService,
		Tags:    map[string]string{workflowIDAttribute: o.WorkflowID},
		Since:   o.CreatedAt.Add(-traceWindow), Until: o.CreatedAt.Add(traceWindow),
	})
	switch {
	case errors.Is(err, telemetry.ErrTraceNotFound):
		return OrderTrace{}, httpx.NewProblem(http.StatusNotFound, "the trace store has no trace of order "+strconv.Quote(o.ID))
	case err != nil:
		s.Logger.Warn("the trace store did not answer", "order_id", o.ID, "request_id", httpx.RequestID(ctx), "error", err)
		p := httpx.NewProblem(http.StatusServiceUnavailable, "the trace store did not answer; try again shortly")
		p.RetryAfter = 5
		return OrderTrace{}, p
	}
	return traceView(t), nil
}

// traceView is t as the API shows it: times from the trace's start, the
// attributes worth showing.
func traceView(t telemetry.Trace) OrderTrace {
	out := OrderTrace{TraceId: t.TraceID, Spans: make([]TraceSpan, 0, len(t.Spans))}
	if len(t.Spans) == 0 {
		return out
	}
	start, end := t.Spans[0].Start, t.Spans[0].Start // the spans are by start time
	for _, sp := range t.Spans {
		if e := sp.Start.Add(sp.Duration); e.After(end) {
			end = e
		}
	}
	out.StartTime, out.DurationUs = start, end.Sub(start).Microseconds()
	for _, sp := range t.Spans {
		v := TraceSpan{
			SpanId: sp.SpanID, Name: sp.Name, Service: sp.Service, StartTime: sp.Start,
			OffsetUs: sp.Start.Sub(start).Microseconds(), DurationUs: sp.Duration.Microseconds(), Error: sp.Error,
		}
		if sp.ParentSpanID != "" {
			v.ParentSpanId = &sp.ParentSpanID
		}
		if kind := TraceSpanKind(sp.Kind); kind.Valid() {
			v.Kind = &kind
		}
		if sp.Error && sp.StatusMessage != "" {
			v.StatusMessage = &sp.StatusMessage
		}
		attrs := map[string]string{}
		for k, val := range sp.Attributes {
			if slices.Contains(traceAttributes, k) {
				attrs[k] = val
			}
		}
		// redisotel still writes the older name of the attribute.
		if system, ok := sp.Attributes["db.system"]; ok && attrs["db.system.name"] == "" {
			attrs["db.system.name"] = system
		}
		if len(attrs) > 0 {
			v.Attributes = &attrs
		}
		out.Spans = append(out.Spans, v)
	}
	return out
}
