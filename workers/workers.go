// Package workers builds the Temporal worker of each task queue. Each queue
// is served by its own Deployment, so each scales on its own load: order
// sagas, stock changes, notification deliveries and shipments.
package workers

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/platform/requestid"
	"github.com/orderflow/orderflow/workflows"
)

// Activities are the activity implementations; a worker needs only those of
// its own queue.
type Activities struct {
	Orders        *activities.OrderActivities
	Payments      *activities.PaymentActivities
	Risk          *activities.RiskActivities
	Inventory     *activities.InventoryActivities
	Notifications *activities.NotificationActivities
	Webhooks      *activities.WebhookEndpointActivities
	Fulfilment    *activities.FulfilmentActivities
}

// New returns an unstarted worker for queue, as the version of buildID in
// the queue's Worker Deployment, with its workflows and activities
// registered.
func New(c client.Client, queue, buildID string, acts Activities) (worker.Worker, error) {
	if !slices.Contains(workflows.TaskQueues, queue) {
		return nil, fmt.Errorf("unknown task queue %q: want one of %v", queue, workflows.TaskQueues)
	}
	if buildID == "" {
		return nil, errors.New("a worker needs a build ID")
	}
	w := worker.New(c, queue, options(queue, buildID))
	switch queue {
	case workflows.OrdersTaskQueue:
		if acts.Orders == nil || acts.Payments == nil || acts.Risk == nil {
			return nil, fmt.Errorf("queue %s needs order, payment and risk activities", queue)
		}
		// Pinned: an order lives for hours or days (approval, payment
		// holds, compensations), and a saga changing shape under a running
		// order is the failure that matters most. Its changes need
		// workflow.GetVersion only when they must reach running orders.
		w.RegisterWorkflowWithOptions(workflows.OrderWorkflow, pinned)
		// Pinned: a repair finishes the saga of the code that started it,
		// in seconds.
		w.RegisterWorkflowWithOptions(workflows.RepairOrderWorkflow, pinned)
		// Pinned: a refund pays once, in seconds, or retries a gateway
		// outage for hours on the code that started it.
		w.RegisterWorkflowWithOptions(workflows.RefundWorkflow, pinned)
		w.RegisterActivity(acts.Orders)
		w.RegisterActivity(acts.Payments)
		w.RegisterActivity(acts.Risk)
		w.RegisterActivity(&activities.TemporalActivities{Client: c}) // the reservation's signals, the outcome notification
	case workflows.InventoryTaskQueue:
		if acts.Inventory == nil {
			return nil, fmt.Errorf("queue %s needs inventory activities", queue)
		}
		// Pinned: a reservation holds stock for its order's life and writes
		// the ledger in the order it recorded; its version drains with the
		// orders'.
		w.RegisterWorkflowWithOptions(workflows.ReservationWorkflow, pinned)
		w.RegisterActivity(acts.Inventory)
		w.RegisterActivity(&activities.TemporalActivities{Client: c}) // the signal to the order
	case workflows.NotificationsTaskQueue:
		if acts.Notifications == nil || acts.Webhooks == nil {
			return nil, fmt.Errorf("queue %s needs notification and webhook activities", queue)
		}
		// Auto-upgrade: a delivery can wait out quiet hours or minutes of
		// provider retries, and a fix to delivery (a provider, a fallback)
		// should reach those already waiting rather than keep an old
		// version alive overnight.
		w.RegisterWorkflowWithOptions(workflows.NotificationWorkflow, autoUpgrade)
		w.RegisterActivity(acts.Notifications)
		// Auto-upgrade too: an integrator's delivery retries for days.
		w.RegisterWorkflowWithOptions(workflows.WebhookDeliveryWorkflow, autoUpgrade)
		w.RegisterActivity(acts.Webhooks)
		w.RegisterActivity(&activities.TemporalActivities{Client: c}) // a disabled endpoint's notices to the admins
	case workflows.FulfilmentTaskQueue:
		if acts.Fulfilment == nil {
			return nil, fmt.Errorf("queue %s needs fulfilment activities", queue)
		}
		// Auto-upgrade: a parcel takes days, and pinning would keep every
		// version alive until its last parcel arrives. Changes to the
		// workflow take workflow.GetVersion, and the recorded histories
		// replay in the tests.
		w.RegisterWorkflowWithOptions(workflows.ShipmentWorkflow, autoUpgrade)
		w.RegisterWorkflowWithOptions(workflows.ReturnWorkflow, autoUpgrade) // a return label waits for weeks
		w.RegisterActivity(acts.Fulfilment)
		w.RegisterActivity(&activities.TemporalActivities{Client: c}) // the notifications, the refunds' workflows
	}
	return w, nil
}

var (
	pinned      = workflow.RegisterOptions{VersioningBehavior: workflow.VersioningBehaviorPinned}
	autoUpgrade = workflow.RegisterOptions{VersioningBehavior: workflow.VersioningBehaviorAutoUpgrade}
)

// Tuning is how each queue's worker runs its tasks: how many at once, how
// many pollers, how long it drains. The load generator's bare-engine
// worker runs with the orders queue's, so its baseline is the engine and
// not a different worker. Activities here are I/O bound (database, HTTP),
// so many may run at once; pollers are raised above the SDK's default of 2
// so a worker keeps up with bursts without a long task-queue backlog.
func Tuning(queue string) worker.Options {
	o := worker.Options{
		MaxConcurrentActivityExecutionSize:     200,
		MaxConcurrentWorkflowTaskExecutionSize: 100,
		MaxConcurrentActivityTaskPollers:       4,
		MaxConcurrentWorkflowTaskPollers:       4,
		// Drain in-flight activities on SIGTERM before the pod is killed.
		WorkerStopTimeout: 20 * time.Second,
	}
	if queue == workflows.InventoryTaskQueue {
		// Stock writes (ReservationWorkflow's local activities) contend on
		// hot rows; more concurrency only adds optimistic-lock conflicts.
		o.MaxConcurrentLocalActivityExecutionSize = 50
	}
	return o
}

// options are the queue's Tuning, as the version of buildID in its Worker
// Deployment.
func options(queue, buildID string) worker.Options {
	o := Tuning(queue)
	// No default behaviour: a workflow type registered without one fails
	// the worker's start.
	o.DeploymentOptions = worker.DeploymentOptions{UseVersioning: true, Version: Version(queue, buildID)}
	// Every workflow and activity log line names the request that started
	// the order (request_id), when there was one.
	o.Interceptors = requestid.WorkerInterceptors()
	return o
}
