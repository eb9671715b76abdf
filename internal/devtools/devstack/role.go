package devstack

import (
	"context"
	"log/slog"
	"syscall"
)

// ProcessSpec describes one orderflow role run as a child process by
// `orderflow dev`, the way it runs alone in its own pod.
type ProcessSpec struct {
	Name    string   // for messages: "api"
	Path    string   // the binary
	Args    []string // e.g. worker --queue orders
	Env     []string // its whole environment
	LogPath string   // receives stdout and stderr, appended
}

// Process is a running child started by StartProcess.
type Process struct {
	c *child
}

// StartProcess starts s and returns once probe succeeds; like the servers,
// the child gets its own process group and dies with us.
func StartProcess(ctx context.Context, s ProcessSpec, logger *slog.Logger, probe func(context.Context) error) (*Process, error) {
	c, err := startChild(ctx, childSpec{name: s.Name, path: s.Path, args: s.Args, env: s.Env, logPath: s.LogPath, stopSignal: syscall.SIGTERM},
		loggerOrDefault(logger), probe)
	if err != nil {
		return nil, err
	}
	return &Process{c: c}, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.c.exited }

// PID is the role's process id, for ProcessesFile.
func (p *Process) PID() int { return p.c.pid() }

// Stop sends SIGTERM, which every role treats as "drain and exit", and
// waits; past the grace period or ctx it kills the process.
func (p *Process) Stop(ctx context.Context) error { return p.c.stop(ctx) }

// Kill kills the process group at once with SIGKILL, as a crash would, and
// waits for the process to exit.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.c.cmd.Process.Pid, syscall.SIGKILL)
	<-p.c.exited
}
