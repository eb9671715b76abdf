// Package requestid carries the ID of the request that started something
// (X-Request-ID at the API) through Temporal: from the client's context into
// the workflow, its child workflows and every activity, local or not, as the
// header HeaderKey; and into every workflow and activity log line as
// request_id. One order can then be followed across services.
package requestid

import (
	"context"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// HeaderKey names the request ID in Temporal headers.
const HeaderKey = "orderflow-request-id"

// LogKey names the request ID in log lines, memos and Kafka headers.
const LogKey = "request_id"

type ctxKey struct{}

// With returns ctx carrying id; an empty id leaves ctx as it is.
func With(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the request ID in ctx, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// FromWorkflow returns the request ID the workflow was started with, or "".
func FromWorkflow(ctx workflow.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Propagator returns the context propagator to list in
// client.Options.ContextPropagators of every client, the API's and the
// workers', so the ID crosses each hop.
func Propagator() workflow.ContextPropagator { return propagator{} }

type propagator struct{}

func (propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return inject(From(ctx), w)
}

func (propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	return inject(FromWorkflow(ctx), w)
}

func (propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	id, err := extract(r)
	return With(ctx, id), err
}

func (propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	id, err := extract(r)
	if id == "" {
		return ctx, err
	}
	return workflow.WithValue(ctx, ctxKey{}, id), err
}

func inject(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(id)
	if err != nil {
		return err
	}
	w.Set(HeaderKey, p)
	return nil
}

// extract reads the ID from a header; a malformed one is ignored rather than
// failing the workflow or activity task it came with.
func extract(r workflow.HeaderReader) (string, error) {
	p, ok := r.Get(HeaderKey)
	if !ok {
		return "", nil
	}
	var id string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &id); err != nil {
		return "", nil
	}
	return id, nil
}
