package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
)

// InstallPrometheus finds the prometheus and promtool binaries (on PATH, or
// in /usr/bin where Debian puts them, which a trimmed PATH may lack),
// installing Debian's prometheus package, which ships both, when one is
// missing and we are root. Otherwise the error is one line that says what to
// install.
func InstallPrometheus(ctx context.Context, logger *slog.Logger) (prometheus, promtool string, err error) {
	logger = loggerOrDefault(logger)
	prometheus, promtool = findProgram("prometheus"), findProgram("promtool")
	if prometheus != "" && promtool != "" {
		return prometheus, promtool, nil
	}
	if err := installDebianPackage(ctx, logger, "prometheus", "prometheus", "prometheus"); err != nil {
		return "", "", err
	}
	prometheus, promtool = findProgram("prometheus"), findProgram("promtool")
	if prometheus == "" || promtool == "" {
		return "", "", fmt.Errorf("prometheus and promtool still not found after installing the prometheus package")
	}
	return prometheus, promtool, nil
}

// findProgram returns the path of a program on PATH or in /usr/bin, or "".
func findProgram(name string) string {
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	if path := "/usr/bin/" + name; isFile(path) {
		return path
	}
	return ""
}
