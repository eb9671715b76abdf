package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// repairsStarted counts the orders the reconciler found stranded: each is an
// operator action (usually a terminate) that skipped the saga, worth an
// alert.
var repairsStarted = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "orderflow_order_repairs_started_total",
	Help: "Orders whose workflow closed without an outcome (terminated, timed out, failed) and were handed to RepairOrderWorkflow, by how the workflow closed.",
}, []string{"closed_as"})

// Reconciler finds orders whose OrderWorkflow closed without recording an
// outcome, which only happens when something stops a workflow from outside
// (`temporal workflow terminate`, a run timeout) or its code fails it, and
// starts a RepairOrderWorkflow for each. It asks Temporal's visibility for
// recently closed order workflows (a background scan, not a hot path) and
// keeps those the read model still shows unfinished. Starting a repair is
// idempotent by its workflow ID, so every orders worker replica can run one.
type Reconciler struct {
	Store    *orders.Store
	Temporal client.Client
	// Namespace is the Temporal namespace of the order workflows.
	Namespace string
	// Every is the time between scans; Lookback how far back closed
	// workflows are looked for.
	Every, Lookback time.Duration
	Logger          *slog.Logger
}

// Run scans every r.Every until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		if n, err := r.Scan(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("order reconciler scan failed", "error", err)
		} else if n > 0 {
			r.Logger.Info("order reconciler started repairs", "orders", n)
		}
		if err := r.RestartRefunds(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("refund restart failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// closedWithoutOutcome are the ways an OrderWorkflow closes without having
// recorded a final status. (Completed and cancelled runs record theirs.)
var closedWithoutOutcome = []enums.WorkflowExecutionStatus{
	enums.WORKFLOW_EXECUTION_STATUS_TERMINATED,
	enums.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
	enums.WORKFLOW_EXECUTION_STATUS_FAILED,
}

// Each way is exported at 0 from the start, so that an alert sees the first
// repair as an increase.
func init() {
	for _, status := range closedWithoutOutcome {
		repairsStarted.WithLabelValues(status.String())
	}
}

// Scan runs one pass and returns how many repairs it started.
func (r *Reconciler) Scan(ctx context.Context) (int, error) {
	closed, err := r.closedOrders(ctx)
	if err != nil || len(closed) == 0 {
		return 0, err
	}
	ids := make([]string, 0, len(closed))
	for id := range closed {
		ids = append(ids, id)
	}
	stranded, err := r.Store.Unfinished(ctx, ids)
	if err != nil {
		return 0, err
	}
	started := 0
	for _, o := range stranded {
		// Visibility lists runs: a reset ends a run as Terminated and goes
		// on in a new one. Only an order whose latest run is closed without
		// an outcome is stranded.
		desc, err := r.Temporal.DescribeWorkflowExecution(ctx, o.WorkflowID, "")
		if err != nil {
			return started, fmt.Errorf("describe order workflow %s: %w", o.WorkflowID, err)
		}
		if st := desc.GetWorkflowExecutionInfo().GetStatus(); !slices.Contains(closedWithoutOutcome, st) {
			continue
		}
		ok, err := r.repair(ctx, o, closed[o.ID])
		if err != nil {
			return started, err
		}
		if ok {
			started++
		}
	}
	return started, nil
}

// closedOrders maps the order ID of every OrderWorkflow closed without an
// outcome within the lookback to how it closed.
func (r *Reconciler) closedOrders(ctx context.Context) (map[string]string, error) {
	var statuses []string
	for _, st := range closedWithoutOutcome {
		statuses = append(statuses, fmt.Sprintf("ExecutionStatus = '%s'", st)) // e.g. 'TimedOut'

	}
	query := fmt.Sprintf("WorkflowType = 'OrderWorkflow' AND (%s) AND CloseTime > '%s'",
		strings.Join(statuses, " OR "), time.Now().Add(-r.Lookback).UTC().Format(time.RFC3339))
	out := map[string]string{}
	var token []byte
	for {
		resp, err := r.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: r.Namespace, Query: query, PageSize: 200, NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list closed order workflows: %w", err)
		}
		for _, ex := range resp.Executions {
			if id, ok := strings.CutPrefix(ex.GetExecution().GetWorkflowId(), orders.WorkflowID("")); ok {
				out[id] = ex.GetStatus().String()
			}
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return out, nil
		}
	}
}

// RestartRefunds starts the workflow of every refund pending for longer than
// a scan's interval: its API request may have claimed it and failed to
// start it. A running one is found, not started again (the start's conflict
// policy), so this costs one call per refund under a long gateway outage.
func (r *Reconciler) RestartRefunds(ctx context.Context) error {
	ids, err := r.Store.PendingRefunds(ctx, r.Every)
	if err != nil {
		return err
	}
	for _, id := range ids {
		run, err := r.Temporal.ExecuteWorkflow(ctx, workflows.RefundStartOptions(id), workflows.RefundWorkflow, workflows.RefundInput{RefundID: id})
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case errors.As(err, &started):
		case err != nil:
			return fmt.Errorf("start refund %s: %w", id, err)
		default:
			r.Logger.Debug("pending refund's workflow running", "refund_id", id, "run_id", run.GetRunID())
		}
	}
	return nil
}

// repair starts the order's RepairOrderWorkflow; false when one runs or ran
// already (a repair that was itself terminated may start again).
func (r *Reconciler) repair(ctx context.Context, o orders.Order, closedAs string) (bool, error) {
	in := workflows.RepairOrderInput{
		Order:    o.Input(),
		State:    o.State(),
		ClosedAs: closedAs,
	}
	_, err := r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.RepairOrderWorkflowID(o.ID),
		TaskQueue:             workflows.OrdersTaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		TypedSearchAttributes: workflows.OrderSearchAttributes(in.Order, o.Status),
	}, workflows.RepairOrderWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start repair of order %s: %w", o.ID, err)
	}
	repairsStarted.WithLabelValues(closedAs).Inc()
	r.Logger.Error("order workflow closed without an outcome: repair started", "order_id", o.ID,
		"workflow_id", o.WorkflowID, "closed_as", closedAs, "status", o.Status,
		"repair_workflow_id", workflows.RepairOrderWorkflowID(o.ID))
	return true, nil
}
