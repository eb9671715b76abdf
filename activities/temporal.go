package activities

import (
	"context"
	"encoding/json"
	"errors"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// TemporalActivities signal and start workflows from another workflow's
// worker. Run as local activities, they cost the workflow that calls them
// no history events and no workflow task: a SignalExternalWorkflow or
// StartChildWorkflowExecution command records the request, then its
// outcome, and the outcome wakes the caller up once more only to learn it.
// A workflow that needs no such acknowledgement (the order and its
// reservation tell each other facts and read outcomes elsewhere; the order
// hands its outcome notification over and ends) calls these.
type TemporalActivities struct {
	Client client.Client
}

// SignalRequest is one signal. Payload is the signal's argument, already
// JSON, so that one activity serves every workflow.
type SignalRequest struct {
	WorkflowID string          `json:"workflow_id"`
	RunID      string          `json:"run_id,omitempty"` // "": the latest run
	Signal     string          `json:"signal"`
	Payload    json.RawMessage `json:"payload,omitempty"`
}

// SignalWorkflow sends req. A workflow that is gone (closed, or never
// started) cannot be told anything any more, which is what a signal to it
// would have found too: the sender reads how it ended elsewhere (a child's
// result, the TTL). A retried send can deliver twice; receivers treat a
// repeat as the first.
func (a *TemporalActivities) SignalWorkflow(ctx context.Context, req SignalRequest) error {
	var payload any
	if len(req.Payload) > 0 {
		payload = req.Payload
	}
	err := a.Client.SignalWorkflow(ctx, req.WorkflowID, req.RunID, req.Signal, payload)
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		activity.GetLogger(ctx).Info("signal to a workflow that is gone: dropped", "workflow_id", req.WorkflowID, "signal", req.Signal)
		return nil
	}
	return refusedForGood(err)
}

// StartWorkflowRequest starts one workflow, once per ID ever. Input is its
// argument, already JSON.
type StartWorkflowRequest struct {
	WorkflowID   string          `json:"workflow_id"`
	WorkflowType string          `json:"workflow_type"`
	TaskQueue    string          `json:"task_queue"`
	Input        json.RawMessage `json:"input"`
}

// StartWorkflow starts req's workflow unless a workflow of that ID ran or
// runs already (REJECT_DUPLICATE): that one is this one, started by an
// earlier attempt, or by a replayed or reset caller.
func (a *TemporalActivities) StartWorkflow(ctx context.Context, req StartWorkflowRequest) error {
	_, err := a.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       req.WorkflowID,
		TaskQueue:                                req.TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, req.WorkflowType, req.Input)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return refusedForGood(err)
}

// refusedForGood makes the refusals that no retry can change (a payload
// over the server's limit, a namespace or permission that is not there)
// non-retryable: the caller's week of retries is for outages, and a
// workflow waiting out a refusal would only grow its history.
func refusedForGood(err error) error {
	var invalid *serviceerror.InvalidArgument
	var denied *serviceerror.PermissionDenied
	var noNamespace *serviceerror.NamespaceNotFound
	if errors.As(err, &invalid) || errors.As(err, &denied) || errors.As(err, &noNamespace) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "TemporalRefused", err)
	}
	return err
}
