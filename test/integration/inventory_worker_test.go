package integration

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/orderflow/orderflow/internal/devstack"
	"github.com/orderflow/orderflow/workflows"
)

// The inventory worker runs as a process of the orderflow binary, as in its
// own pod, and it is the only one serving the "inventory" queue: a test can
// kill it the way a crash would and know that no other worker took over.
var inventoryWorker struct {
	binary, logPath string
	logger          *slog.Logger
	proc            *devstack.Process
}

// setUpInventoryWorker builds this tree's orderflow binary into dir (so the
// worker runs the code under test, not a stale bin/orderflow) and starts it.
func setUpInventoryWorker(ctx context.Context, dir string, logger *slog.Logger) error {
	bin := filepath.Join(dir, "orderflow")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/orderflow")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/orderflow: %v\n%s", err, out)
	}
	inventoryWorker.binary, inventoryWorker.logPath, inventoryWorker.logger = bin, filepath.Join(dir, "worker-inventory.log"), logger
	return startInventoryWorker(ctx)
}

// startInventoryWorker starts `orderflow worker --queue inventory` on the
// stack and waits until it is ready.
func startInventoryWorker(ctx context.Context) error {
	cfg, ops := stack.cfg, freeAddr()
	env := append(os.Environ(),
		"LOG_LEVEL=info",
		"DATABASE_URL="+cfg.DatabaseURL,
		"REDIS_ADDR="+cfg.RedisAddr,
		"KAFKA_BROKERS="+strings.Join(cfg.KafkaBrokers, ","),
		"TEMPORAL_ADDRESS="+cfg.TemporalAddress,
		"TEMPORAL_NAMESPACE="+cfg.TemporalNamespace,
		"OPS_ADDR="+ops,
	)
	proc, err := devstack.StartProcess(ctx, devstack.ProcessSpec{
		Name: "worker-inventory", Path: inventoryWorker.binary, Args: []string{"worker", "--queue", workflows.InventoryTaskQueue},
		Env: env, LogPath: inventoryWorker.logPath,
	}, inventoryWorker.logger, func(ctx context.Context) error { return getOK(ctx, "http://"+ops+"/readyz") })
	if err != nil {
		return err
	}
	inventoryWorker.proc = proc
	return nil
}

// stopInventoryWorker lets the worker drain and exit.
func stopInventoryWorker() error {
	return inventoryWorker.proc.Stop(context.Background())
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
