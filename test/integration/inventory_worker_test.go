package integration

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/workflows"
)

// The orders, inventory and fulfilment workers run as processes of the
// orderflow binary, as in their own pods, and each is the only worker of its
// queue: a test can kill one the way a crash would and know that no other
// worker took over. The notifications worker runs in-process (main_test.go).
var processQueues = []string{workflows.OrdersTaskQueue, workflows.InventoryTaskQueue, workflows.FulfilmentTaskQueue}

// workerProcess is the worker of one queue, run as a child process.
type workerProcess struct {
	queue  string
	binary string // this tree's orderflow, built by setUpWorkerProcesses
	dir    string // where the log files go
	logger *slog.Logger

	proc     *devstack.Process // the running process
	logPaths []string          // one per process started, oldest first
}

// workerProcs maps each of processQueues to its worker.
var workerProcs = map[string]*workerProcess{}

// inventoryWorker is workerProcs["inventory"], as inventory_test.go calls it.
var inventoryWorker *workerProcess

// startInventoryWorker starts a new inventory worker (after a test killed
// the last one); inventory_test.go's name for inventoryWorker.start.
func startInventoryWorker(ctx context.Context) error { return inventoryWorker.start(ctx) }

// setUpWorkerProcesses builds this tree's orderflow binary into dir (so the
// workers run the code under test, not a stale bin/orderflow) and starts the
// worker of each of processQueues.
func setUpWorkerProcesses(ctx context.Context, dir string, logger *slog.Logger) error {
	bin := filepath.Join(dir, "orderflow")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/orderflow")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/orderflow: %v\n%s", err, out)
	}
	for _, q := range processQueues {
		w := &workerProcess{queue: q, binary: bin, dir: dir, logger: logger}
		workerProcs[q] = w
		if err := w.start(ctx); err != nil {
			return err
		}
	}
	inventoryWorker = workerProcs[workflows.InventoryTaskQueue]
	return nil
}

// start starts a new `orderflow worker --queue <queue>` with the stack's
// configuration, logging to a file of its own, and waits until its /readyz
// answers 200; stack.workerOps then points at it.
func (w *workerProcess) start(ctx context.Context) error {
	ops := freeAddr()
	logPath := filepath.Join(w.dir, fmt.Sprintf("worker-%s-%d.log", w.queue, len(w.logPaths)+1))
	w.logPaths = append(w.logPaths, logPath)
	proc, err := devstack.StartProcess(ctx, devstack.ProcessSpec{
		Name: "worker-" + w.queue, Path: w.binary, Args: []string{"worker", "--queue", w.queue},
		// Later entries win: the stack's configuration overrides the test's environment.
		Env:     append(append(os.Environ(), config.Environ(stack.cfg)...), "OPS_ADDR="+ops),
		LogPath: logPath,
	}, w.logger, func(ctx context.Context) error { return getOK(ctx, "http://"+ops+"/readyz") })
	if err != nil {
		return err
	}
	w.proc = proc
	stack.workerOps[w.queue] = "http://" + ops
	return nil
}

// kill kills the worker with SIGKILL, as a crash would: in-flight calls are
// cut off, nothing is drained or acknowledged.
func (w *workerProcess) kill() { w.proc.Kill() }

// stopWorkerProcesses lets every worker process drain and exit.
func stopWorkerProcesses() {
	var wg sync.WaitGroup
	for _, w := range workerProcs {
		if w.proc != nil {
			wg.Go(func() { _ = w.proc.Stop(context.Background()) })
		}
	}
	wg.Wait()
}

// workerProcessLogs lists the log files of every worker process started.
func workerProcessLogs() []string {
	var logs []string
	for _, q := range processQueues {
		if w := workerProcs[q]; w != nil {
			logs = append(logs, w.logPaths...)
		}
	}
	return logs
}

func getOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
