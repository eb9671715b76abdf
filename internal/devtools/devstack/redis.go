package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configures StartRedis.
type RedisOptions struct {
	// DataDir holds the append-only file, so cached keys, rate-limit counters
	// and idempotency keys survive a restart. Created if missing.
	DataDir string
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// LogFile receives the server's output; "" means DataDir/redis.log.
	LogFile string
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
}

// Redis is a redis-server child process listening on loopback.
type Redis struct {
	port    int
	process *child
}

// StartRedis runs redis-server (installing the Debian package first when it is
// missing and we are root) and returns once it answers PING.
func StartRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	logger := loggerOrDefault(o.Logger)
	binary, err := exec.LookPath("redis-server")
	if err != nil {
		if err := installDebianPackage(ctx, logger, "redis-server", "redis-server", "redis-server"); err != nil {
			return nil, err
		}
		if binary, err = exec.LookPath("redis-server"); err != nil {
			return nil, fmt.Errorf("redis-server still not on PATH after installing it: %w", err)
		}
	}
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("redis data directory: %w", err)
	}
	port, err := portOrFree(o.Port)
	if err != nil {
		return nil, err
	}
	logFile := o.LogFile
	if logFile == "" {
		logFile = filepath.Join(dataDir, "redis.log")
	}
	spec := childSpec{
		name: "Redis",
		path: binary,
		args: []string{
			"--bind", "127.0.0.1",
			"--port", strconv.Itoa(port),
			"--dir", dataDir,
			// The append-only file, fsynced every second, is the durable
			// copy; RDB snapshots would only duplicate it.
			"--appendonly", "yes",
			"--appendfsync", "everysec",
			"--save", "",
			"--daemonize", "no",
			"--logfile", "", // stdout, which is our log file
		},
		logPath:    logFile,
		stopSignal: syscall.SIGTERM, // flushes the append-only file, then exits
	}
	addr := loopback(port)
	probe := func(ctx context.Context) error {
		client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer client.Close()
		return client.Ping(ctx).Err()
	}
	process, err := startChild(ctx, spec, logger, probe)
	if err != nil {
		return nil, err
	}
	logger.Info("Redis ready", "addr", addr)
	return &Redis{port: port, process: process}, nil
}

// Addr is the server's host:port on loopback.
func (r *Redis) Addr() string { return loopback(r.port) }

// URL is the server as REDIS_URL names it: no password, database 0.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// PID is the server's process id, for ProcessesFile.
func (r *Redis) PID() int { return r.process.pid() }

// Stop shuts Redis down (it flushes the append-only file first) and waits
// for it; if ctx ends first, or after 20 s, the server is killed. Calling it
// again does nothing.
func (r *Redis) Stop(ctx context.Context) error {
	return r.process.stop(ctx)
}
