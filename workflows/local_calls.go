package workflows

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strings"

	"github.com/orderflow/orderflow/activities"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// localCallsChange marks orders whose payment calls, signals to and from
// their reservation and start of their outcome notification are local
// activities of the workers running them. Orders recorded before it
// (version 0) replay them as regular activities, SignalExternalWorkflow and
// StartChildWorkflowExecution commands.
const localCallsChange = "local-calls"

// trackLocalCalls decides how the saga makes its calls. From version 1 on:
//
//   - the orders worker running the saga makes the authorization and the
//     capture itself. A regular activity costs the engine about four state
//     transitions more (scheduled, started, completed, and the workflow
//     task that follows). What a local activity gives up: the worker, not
//     the server, retries it, so a worker that dies mid-call fails its
//     workflow task, and the next worker replays the task and calls again;
//     the idempotency keys make the gateway answer that call from the
//     first. The compensations (void, refund) stay regular activities:
//     they are rare, and their hours of retries belong on the server,
//     where an operator sees them pending;
//   - the order and its reservation signal each other with a local
//     activity (activities.TemporalActivities), which spares each sender
//     the two events and the workflow task of a SignalExternalWorkflow
//     command;
//   - the order starts its outcome's NotificationWorkflow with a local
//     activity too, not as a child: it has nothing to wait for but the
//     child's start, which cost it two events and a workflow task. The
//     notification was already abandoned by its parent (it outlives the
//     order); what it loses is the parent link in the Web UI, which its
//     workflow ID (notification-<order id>-<outcome>) replaces.
func (s *orderSaga) trackLocalCalls(ctx workflow.Context) {
	s.localCalls = workflow.GetVersion(ctx, localCallsChange, workflow.DefaultVersion, 1) >= 1
}

// callGateway runs a payment call as a local activity that a cancellation
// does not interrupt once it has begun, as WaitForCancellation does for the
// regular activity: a cancelled local activity's context is cancelled, which
// would drop the call mid-flight and leave the gateway to finish it after
// the saga compensated, so the void could look for an authorization that did
// not exist yet. The saga learns each call's outcome first, and a saga
// already cancelled makes no call. optsCtx carries the local activity
// options.
func callGateway(ctx, optsCtx workflow.Context, activity, req, result any) error {
	if ctx.Err() != nil {
		return temporal.NewCanceledError()
	}
	callCtx, _ := workflow.NewDisconnectedContext(optsCtx)
	return workflow.ExecuteLocalActivity(callCtx, activity, req).Get(callCtx, result)
}

// signalLocally sends a signal with a local activity and waits until it is
// sent, on a context no cancellation reaches: the decisions it carries
// (confirm, release, held) must arrive. A signal the receiver cannot take
// any more (it closed) is dropped by the activity; one that cannot be sent
// for a week is logged, and the receiver's own timeout (the reservation's
// TTL, the order's wait for its result) decides.
func signalLocally(ctx workflow.Context, workflowID, runID, signal string, payload any) {
	req := activities.SignalRequest{WorkflowID: workflowID, RunID: runID, Signal: signal}
	if payload != nil {
		// Marshalled here so the activity serves any payload; a type that
		// does not marshal is a bug, caught by the tests.
		req.Payload, _ = json.Marshal(payload)
	}
	sendCtx, _ := workflow.NewDisconnectedContext(ctx)
	if err := workflow.ExecuteLocalActivity(recordCtx(sendCtx), temporalActivities.SignalWorkflow, req).Get(sendCtx, nil); err != nil {
		workflow.GetLogger(ctx).Error("signal not sent", "workflow_id", workflowID, "signal", signal, "error", err)
	}
}

// startLocally starts workflow fn (once per workflowID, ever) on queue with
// a local activity, and waits until it is started.
func startLocally(ctx workflow.Context, workflowID, queue string, fn, input any) error {
	in, err := json.Marshal(input)
	if err != nil {
		return err
	}
	req := activities.StartWorkflowRequest{WorkflowID: workflowID, WorkflowType: workflowType(fn), TaskQueue: queue, Input: in}
	return workflow.ExecuteLocalActivity(recordCtx(ctx), temporalActivities.StartWorkflow, req).Get(ctx, nil)
}

// workflowType is the type name under which the workers register fn: the
// function's own name, as the SDK derives it.
func workflowType(fn any) string {
	name := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
	return name[strings.LastIndex(name, ".")+1:]
}
