package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/workers"
	"github.com/orderflow/orderflow/workflows"
)

// TestRolloutKeepsPinnedOrdersOnTheirVersion rolls the orders deployment out
// as the README does, with the CLI's own commands: version B starts beside
// the stack's version A and is made current; an order A started before
// finishes on A, while a new one runs on B, and neither fails a workflow
// task (what code replayed against the wrong history would do). Rolling
// back to A then leaves B drained, by the visibility query the README
// gives, before B stops.
func TestRolloutKeepsPinnedOrdersOnTheirVersion(t *testing.T) {
	const b = "rollout-b"
	a := app.LocalBuildID
	deployment := workers.DeploymentName(workflows.OrdersTaskQueue)
	onA := placeOrderNeedingApproval(t)
	requirePinnedTo(t, orders.WorkflowID(onA), a)

	startOrdersWorkerVersion(t, b)
	waitForVersion(t, deployment, b, a)
	temporalCLI(t, "worker", "deployment", "set-current-version", "--deployment-name", deployment, "--build-id", b, "--yes")
	// Whatever happens below, the rest of the suite runs on A again.
	t.Cleanup(func() { setCurrentVersion(t, deployment, a) })

	status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, 202, status, "%v", body)
	onB := body["id"].(string)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, onB).Status)
	requireRanOnlyOn(t, orders.WorkflowID(onB), b)

	status, _, body = post(t, "/api/orders/"+onA+"/approve", `{"reason":"known customer"}`, asAdmin)
	require.Equal(t, 202, status, "%v", body)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, onA).Status)
	requireRanOnlyOn(t, orders.WorkflowID(onA), a)

	// Rollback: A is current again, and B, with nothing pinned to it left
	// running, may stop.
	temporalCLI(t, "worker", "deployment", "set-current-version", "--deployment-name", deployment, "--build-id", a, "--yes")
	pinnedToB := fmt.Sprintf(`TemporalWorkerDeploymentVersion = "%s:%s"`, deployment, b)
	require.Eventually(t, func() bool { return countWorkflows(t, pinnedToB) >= 1 }, 30*time.Second, 200*time.Millisecond,
		"visibility never listed the order that ran on B: the README's drain query would prove nothing")
	require.Zero(t, countWorkflows(t, pinnedToB+` AND ExecutionStatus = "Running"`), "B is not drained")
}

// startOrdersWorkerVersion runs an orders worker of this tree stamped with
// version, as a release would be (its WORKER_BUILD_ID unset), until the
// test ends.
func startOrdersWorkerVersion(t *testing.T, version string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "orderflow")
	build := exec.CommandContext(ctx, "go", "build", "-ldflags",
		"-X github.com/orderflow/orderflow/internal/platform/buildinfo.version="+version, "-o", bin, "./cmd/orderflow")
	build.Dir = filepath.Join("..", "..")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	out, err = exec.Command(bin, "version").Output()
	require.NoError(t, err)
	require.Equal(t, version+"\n", string(out), "orderflow version prints the stamped version")

	ops := freeAddr()
	proc, err := devstack.StartProcess(ctx, devstack.ProcessSpec{
		Name: "worker-orders-" + version, Path: bin, Args: []string{"worker", "--queue", workflows.OrdersTaskQueue},
		// Later entries win: the stack's settings, but the binary's version.
		Env:     append(append(os.Environ(), config.Environ(stack.cfg)...), "OPS_ADDR="+ops, "WORKER_BUILD_ID="),
		LogPath: filepath.Join(dir, "worker.log"),
	}, workerProcs[workflows.OrdersTaskQueue].logger, func(ctx context.Context) error { return getOK(ctx, "http://"+ops+"/readyz") })
	require.NoError(t, err)
	t.Cleanup(func() { _ = proc.Stop(context.Background()) })
}

// waitForVersion waits until the server has seen buildID's workers poll
// every task queue (and type: workflow, activity) that current's poll:
// until then the server refuses to make it current, as the README's
// rollout says to check with describe-version.
func waitForVersion(t *testing.T, deployment, buildID, current string) {
	t.Helper()
	handle := stack.temporal.WorkerDeploymentClient().GetHandle(deployment)
	queues := func(build string) map[client.WorkerDeploymentTaskQueueInfo]bool {
		desc, err := handle.DescribeVersion(context.Background(), client.WorkerDeploymentDescribeVersionOptions{BuildID: build})
		if err != nil {
			return nil
		}
		out := map[client.WorkerDeploymentTaskQueueInfo]bool{}
		for _, q := range desc.Info.TaskQueuesInfos {
			out[q] = true
		}
		return out
	}
	want := queues(current)
	require.NotEmpty(t, want, "version %s polls nothing", current)
	require.Eventually(t, func() bool {
		got := queues(buildID)
		for q := range want {
			if !got[q] {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "version %s never polled all of %s's task queues in %s", buildID, current, deployment)
}

// setCurrentVersion makes buildID current in deployment, unless it is.
func setCurrentVersion(t *testing.T, deployment, buildID string) {
	ctx := context.Background()
	handle := stack.temporal.WorkerDeploymentClient().GetHandle(deployment)
	desc, err := handle.Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	require.NoError(t, err)
	if current := desc.Info.RoutingConfig.CurrentVersion; current != nil && current.BuildID == buildID {
		return
	}
	_, err = handle.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: buildID, ConflictToken: desc.ConflictToken})
	require.NoError(t, err)
}

// temporalCLI runs the pinned temporal CLI against the stack's server.
func temporalCLI(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "..", "bin", "temporal"), append(args, "--address", stack.cfg.TemporalAddress)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "temporal %v:\n%s", args, out)
}

func countWorkflows(t *testing.T, query string) int64 {
	t.Helper()
	resp, err := stack.temporal.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	require.NoError(t, err)
	return resp.GetCount()
}

// requirePinnedTo: the workflow is pinned to buildID of its deployment.
func requirePinnedTo(t *testing.T, workflowID, buildID string) {
	t.Helper()
	desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), workflowID, "")
	require.NoError(t, err)
	info := desc.GetWorkflowExecutionInfo().GetVersioningInfo()
	require.Equal(t, enumspb.VERSIONING_BEHAVIOR_PINNED, info.GetBehavior())
	require.Equal(t, buildID, info.GetDeploymentVersion().GetBuildId())
}

// requireRanOnlyOn: every workflow task of the workflow completed on
// buildID, pinned, and none failed.
func requireRanOnlyOn(t *testing.T, workflowID, buildID string) {
	t.Helper()
	requirePinnedTo(t, workflowID, buildID)
	iter := stack.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	tasks := 0
	for iter.HasNext() {
		event, err := iter.Next()
		require.NoError(t, err)
		require.NotEqual(t, enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED, event.GetEventType(), "a workflow task failed: %v", event)
		if done := event.GetWorkflowTaskCompletedEventAttributes(); done != nil {
			tasks++
			require.Equal(t, buildID, done.GetDeploymentVersion().GetBuildId(), "workflow task %d ran on another version", event.GetEventId())
		}
	}
	require.NotZero(t, tasks)
}
