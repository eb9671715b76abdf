package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// systemMu serializes changes to the machine (apt-get, which holds a
// system-wide lock, and useradd): tests may start several stacks at once.
var systemMu sync.Mutex

// installDebianPackage installs pkg with apt-get when we are root, so a fresh
// machine needs nothing but Go. Otherwise it returns a one-line error that
// says what to install. service names the init service the package starts,
// which is then stopped and disabled: the package's own server would hold the
// default port that the dev stack wants for its own.
func installDebianPackage(ctx context.Context, logger *slog.Logger, program, pkg, service string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s not found: install it with `sudo apt-get install -y %s`", program, pkg)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("%s not found and there is no apt-get: install the package that provides %s", program, program)
	}
	systemMu.Lock()
	defer systemMu.Unlock()
	if err := runAptGet(ctx, logger, "install", "-y", "--no-install-recommends", pkg); err != nil {
		// A fresh machine or image may have stale or no package lists.
		if err := runAptGet(ctx, logger, "update"); err != nil {
			return err
		}
		if err := runAptGet(ctx, logger, "install", "-y", "--no-install-recommends", pkg); err != nil {
			return err
		}
	}
	stopPackagedService(ctx, logger, service)
	return nil
}

func runAptGet(ctx context.Context, logger *slog.Logger, args ...string) error {
	logger.Info("running", "cmd", "apt-get "+strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("apt-get %s: %v: %s", strings.Join(args, " "), err, lastLine(out))
	}
	return nil
}

// stopPackagedService stops and disables the service a package just started
// (under systemd, or a SysV init script elsewhere). Containers usually forbid
// the start in the first place (policy-rc.d), which makes this a no-op.
func stopPackagedService(ctx context.Context, logger *slog.Logger, service string) {
	var cmd *exec.Cmd
	switch {
	case isDir("/run/systemd/system"): // how sd_booted(3) tells systemd is running
		cmd = exec.CommandContext(ctx, "systemctl", "disable", "--now", service)
	case isFile("/etc/init.d/" + service):
		cmd = exec.CommandContext(ctx, "/etc/init.d/"+service, "stop")
	default:
		return
	}
	logger.Info("stopping the packaged service so it does not hold the port", "cmd", strings.Join(cmd.Args, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		logger.Warn("could not stop packaged service", "service", service, "err", err, "output", lastLine(out))
	}
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
