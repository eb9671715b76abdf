package requestid_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/platform/requestid"
)

// seen is what each hop found in its context.
type seen struct {
	Workflow, Activity, LocalActivity, Child string
}

func echoActivity(ctx context.Context) (string, error) {
	activity.GetLogger(ctx).Info("activity ran")
	return requestid.From(ctx), nil
}

func childWorkflow(ctx workflow.Context) (string, error) {
	return requestid.FromWorkflow(ctx), nil
}

func parentWorkflow(ctx workflow.Context) (seen, error) {
	workflow.GetLogger(ctx).Info("workflow ran")
	s := seen{Workflow: requestid.FromWorkflow(ctx)}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(actx, echoActivity).Get(ctx, &s.Activity); err != nil {
		return s, err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteLocalActivity(lctx, echoActivity).Get(ctx, &s.LocalActivity); err != nil {
		return s, err
	}
	err := workflow.ExecuteChildWorkflow(ctx, childWorkflow).Get(ctx, &s.Child)
	return s, err
}

// header is a workflow.HeaderWriter, as a client fills one.
type header map[string]*commonpb.Payload

func (h header) Set(key string, p *commonpb.Payload) { h[key] = p }

func TestRequestIDReachesEveryHopAndLogLine(t *testing.T) {
	// The client side: what Inject writes is what the workflow is started with.
	h := header{}
	require.NoError(t, requestid.Propagator().Inject(requestid.With(context.Background(), "req-42"), h))
	require.Contains(t, h, requestid.HeaderKey)

	var logs bytes.Buffer
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetContextPropagators([]workflow.ContextPropagator{requestid.Propagator()})
	env.SetWorkerOptions(worker.Options{Interceptors: requestid.WorkerInterceptors()})
	env.SetHeader(&commonpb.Header{Fields: h})
	env.RegisterWorkflow(childWorkflow)
	env.RegisterActivity(echoActivity)

	env.ExecuteWorkflow(parentWorkflow)
	require.NoError(t, env.GetWorkflowError())
	var got seen
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, seen{Workflow: "req-42", Activity: "req-42", LocalActivity: "req-42", Child: "req-42"}, got)

	for _, line := range []string{"workflow ran", "activity ran"} {
		require.Regexp(t, `msg="`+line+`".*request_id=req-42`, logs.String())
	}
}

func TestNoRequestIDNoHeader(t *testing.T) {
	h := header{}
	require.NoError(t, requestid.Propagator().Inject(context.Background(), h))
	require.Empty(t, h)
	require.Equal(t, "", requestid.From(requestid.With(context.Background(), "")))
}
