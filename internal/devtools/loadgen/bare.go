package loadgen

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/workers"
	"github.com/orderflow/orderflow/workflows"
)

// BareTaskQueue is the bare-engine benchmark's own task queue, which no
// worker of the stack polls.
const BareTaskQueue = "loadgen-bare"

// BareWorkflow runs five activities that do nothing, one after another:
// an order's shape (a saga of steps) with none of its work, so its rate is
// what the engine alone gives on this machine.
func BareWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for range 5 {
		if err := workflow.ExecuteActivity(ctx, BareActivity).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// BareActivity does nothing.
func BareActivity(context.Context) error { return nil }

// startBareWorker starts a worker of BareTaskQueue in this process, tuned
// as the orders queue's (workers.Tuning). Versioning and interceptors are
// left out: they change which worker gets a task, not how fast.
func startBareWorker(c client.Client) (worker.Worker, error) {
	w := worker.New(c, BareTaskQueue, workers.Tuning(workflows.OrdersTaskQueue))
	w.RegisterWorkflow(BareWorkflow)
	w.RegisterActivity(BareActivity)
	return w, w.Start()
}

// bareWorkflowID names unit i of run, a prefix unique to this run.
func bareWorkflowID(run string, i int) string { return fmt.Sprintf("loadgen-bare-%s-%d", run, i) }

// runBare starts BareWorkflow i and waits for its result: one unit of the
// bare phase.
func runBare(ctx context.Context, c client.Client, run string, i int) sample {
	id := bareWorkflowID(run, i)
	wf, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: BareTaskQueue}, BareWorkflow)
	if err == nil {
		err = wf.Get(ctx, nil)
	}
	if err != nil {
		return sample{id: id, err: err}
	}
	return sample{id: id, status: "completed"}
}

// bare runs the bare-engine phase: as many BareWorkflows as orders, with as
// many clients, each starting one and waiting for its result, on a worker
// of this process that stops with the phase.
func (r runner) bare(ctx context.Context) (*phaseRun, error) {
	w, err := startBareWorker(r.temporal)
	if err != nil {
		return nil, fmt.Errorf("bare-engine worker: %w", err)
	}
	defer w.Stop()
	// Unique to this run: the IDs of an earlier run's workflows may still
	// be within the namespace's retention.
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	p, err := r.phase(ctx, "bare", "workflow", r.o.Orders,
		func(ctx context.Context, i int) sample { return runBare(ctx, r.temporal, run, i) },
		func(s sample) []string { return []string{s.id} })
	return &p, err
}
