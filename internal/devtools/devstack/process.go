package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// readyTimeout bounds how long a server may take to answer its first
	// probe. All take well under 5 s; the margin is for a loaded 2-core CI
	// machine.
	readyTimeout = 60 * time.Second
	// stopGrace is how long a server may take to shut down cleanly after
	// its stop signal before it is killed.
	stopGrace = 20 * time.Second
	// probeInterval is the pause between two readiness probes.
	probeInterval = 50 * time.Millisecond
)

// loggerOrDefault lets every Options.Logger be left nil.
func loggerOrDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// childSpec describes a server or tool run as a child process.
type childSpec struct {
	name    string // what it is, for messages: "PostgreSQL"
	path    string
	args    []string
	logPath string              // receives stdout and stderr, appended
	runAs   *syscall.Credential // nil runs it as ourselves
	// stopSignal asks the server to shut down cleanly.
	stopSignal syscall.Signal
	env        []string // nil inherits our environment
}

// command builds the exec.Cmd every child shares: output appended to its log
// file, its own process group (so a Ctrl-C in the terminal reaches only us,
// and we stop the servers in order) and SIGKILL when we die (so no server
// outlives an orchestrator that crashed or was killed).
func (s childSpec) command() (*exec.Cmd, *runLog, error) {
	if err := os.MkdirAll(filepath.Dir(s.logPath), 0o755); err != nil {
		return nil, nil, fmt.Errorf("%s log directory: %w", s.name, err)
	}
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("%s log file: %w", s.name, err)
	}
	info, err := logFile.Stat()
	if err != nil {
		logFile.Close()
		return nil, nil, fmt.Errorf("%s log file: %w", s.name, err)
	}
	cmd := exec.Command(s.path, s.args...)
	cmd.Env = s.env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
		Credential: s.runAs,
	}
	return cmd, &runLog{file: logFile, start: info.Size()}, nil
}

// runToCompletion runs a one-shot tool (initdb) and reports its failure with
// the end of its log.
func runToCompletion(ctx context.Context, s childSpec, logger *slog.Logger) error {
	cmd, log, err := s.command()
	if err != nil {
		return err
	}
	defer log.file.Close()
	logger.Info("running", "cmd", s.path+" "+strings.Join(s.args, " "), "log", s.logPath)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("%s failed: %v%s", s.name, err, log.tail())
	}
	return nil
}

// child is a running server process.
type child struct {
	spec     childSpec
	log      *runLog
	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process is reaped
	waitErr  error         // how it exited; read only after exited is closed
	stopOnce sync.Once
	stopErr  error
}

// startChild starts s and waits until probe succeeds. If the server exits or
// the probe keeps failing past readyTimeout (or ctx), the server is killed and
// the error carries the end of its log.
func startChild(ctx context.Context, s childSpec, logger *slog.Logger, probe func(context.Context) error) (*child, error) {
	cmd, log, err := s.command()
	if err != nil {
		return nil, err
	}
	err = cmd.Start()
	log.file.Close() // the child holds its own descriptor
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	c := &child{spec: s, log: log, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	logger.Info("started", "server", s.name, "pid", cmd.Process.Pid, "log", s.logPath)

	if err := c.waitReady(ctx, probe); err != nil {
		_ = c.stop(ctx)
		return nil, err
	}
	return c, nil
}

// waitReady polls probe until it succeeds, the process exits, or time runs out.
func (c *child) waitReady(ctx context.Context, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		// The probe runs aside because not every client gives up on
		// cancellation, and one can hang on a port that another program
		// holds: when the server exits, we stop waiting for the probe.
		probeCtx, cancelProbe := context.WithTimeout(ctx, 5*time.Second)
		result := make(chan error, 1)
		go func() { result <- probe(probeCtx) }()
		var err error
		select {
		case err = <-result:
		case <-c.exited:
			err = errors.New("no answer")
		}
		cancelProbe()
		if err == nil {
			return nil
		}
		var fatal fatalProbeError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		select {
		case <-c.exited:
			return fmt.Errorf("%s exited while starting (%v)%s", c.spec.name, c.waitErr, c.log.tail())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %v%s", c.spec.name, readyTimeout, err, c.log.tail())
		case <-time.After(probeInterval):
		}
	}
}

// pid is the process id of the child.
func (c *child) pid() int { return c.cmd.Process.Pid }

// fatalProbeError is a probe failure that waiting will not cure, such as
// credentials the server rejects: waitReady reports it at once.
type fatalProbeError struct{ err error }

func (e fatalProbeError) Error() string { return e.err.Error() }

// stop sends the stop signal and waits for the process to exit; past stopGrace, or as
// soon as ctx ends, it kills the process group (the server and whatever it
// forked). Only the first call acts: stop is idempotent.
func (c *child) stop(ctx context.Context) error {
	c.stopOnce.Do(func() {
		pid := c.cmd.Process.Pid
		_ = c.cmd.Process.Signal(c.spec.stopSignal)
		timer := time.NewTimer(stopGrace)
		defer timer.Stop()
		select {
		case <-c.exited:
			return
		case <-timer.C:
		case <-ctx.Done():
		}
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-c.exited
		c.stopErr = fmt.Errorf("%s (pid %d) did not stop on %v in time and was killed%s", c.spec.name, pid, c.spec.stopSignal, c.log.tail())
	})
	return c.stopErr
}

// runLog is the part of a log file that one run of a child wrote: the file
// is appended to across restarts and shared by initdb and postgres.
type runLog struct {
	file  *os.File // write end, for the child; closed once it started
	start int64    // size of the file before this run
}

// tail returns the last lines this run wrote, formatted to follow an error
// message, or "" when there is nothing to show.
func (l *runLog) tail() string {
	const maxBytes, maxLines = 4096, 20
	path := l.file.Name()
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	from := l.start
	if info, err := f.Stat(); err == nil && info.Size()-from > maxBytes {
		from = info.Size() - maxBytes
	}
	b, err := io.ReadAll(io.NewSectionReader(f, from, math.MaxInt64-from))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	tail := strings.Join(lines, "\n  ")
	if strings.TrimSpace(tail) == "" {
		return ""
	}
	return fmt.Sprintf("; last lines of %s:\n  %s", path, tail)
}
