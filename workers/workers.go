// Package workers builds the Temporal worker of each task queue. Each queue
// is served by its own Deployment, so each scales on its own load: order
// sagas, stock changes and notification deliveries.
package workers

import (
	"time"

	"fmt"
	"slices"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/platform/requestid"
	"github.com/orderflow/orderflow/workflows"
)

// Activities are the activity implementations; a worker needs only those of
// its own queue.
type Activities struct {
	Orders        *activities.OrderActivities
	Payments      *activities.PaymentActivities
	Inventory     *activities.InventoryActivities
	Notifications *activities.NotificationActivities
}

// New returns an unstarted worker for queue with its workflows and activities
// registered.
func New(c client.Client, queue string, acts Activities) (worker.Worker, error) {
	if !slices.Contains(workflows.TaskQueues, queue) {
		return nil, fmt.Errorf("unknown task queue %q: want one of %v", queue, workflows.TaskQueues)
	}
	w := worker.New(c, queue, options(queue))
	switch queue {
	case workflows.OrdersTaskQueue:
		if acts.Orders == nil || acts.Payments == nil {
			return nil, fmt.Errorf("queue %s needs order and payment activities", queue)
		}
		w.RegisterWorkflow(workflows.OrderWorkflow)
		w.RegisterWorkflow(workflows.RepairOrderWorkflow)
		w.RegisterActivity(acts.Orders)
		w.RegisterActivity(acts.Payments)
	case workflows.InventoryTaskQueue:
		if acts.Inventory == nil {
			return nil, fmt.Errorf("queue %s needs inventory activities", queue)
		}
		w.RegisterWorkflow(workflows.ReservationWorkflow)
		w.RegisterActivity(acts.Inventory)
	case workflows.NotificationsTaskQueue:
		if acts.Notifications == nil {
			return nil, fmt.Errorf("queue %s needs notification activities", queue)
		}
		w.RegisterWorkflow(workflows.NotificationWorkflow)
		w.RegisterActivity(acts.Notifications)
	}
	return w, nil
}

// options tunes each queue's worker. Activities here are I/O bound (database,
// HTTP), so many may run at once; pollers are raised above the SDK's default
// of 2 so a worker keeps up with bursts without a long task-queue backlog.
func options(queue string) worker.Options {
	o := worker.Options{
		MaxConcurrentActivityExecutionSize:     200,
		MaxConcurrentWorkflowTaskExecutionSize: 100,
		MaxConcurrentActivityTaskPollers:       4,
		MaxConcurrentWorkflowTaskPollers:       4,
		// Drain in-flight activities on SIGTERM before the pod is killed.
		WorkerStopTimeout: 20 * time.Second,
		// Every workflow and activity log line names the request that
		// started the order (request_id), when there was one.
		Interceptors: requestid.WorkerInterceptors(),
	}
	if queue == workflows.InventoryTaskQueue {
		// Stock writes (ReservationWorkflow's local activities) contend on
		// hot rows; more concurrency only adds optimistic-lock conflicts.
		o.MaxConcurrentLocalActivityExecutionSize = 50
	}
	return o
}
