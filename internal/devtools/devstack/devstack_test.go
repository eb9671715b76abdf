package devstack

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// testContext bounds one test's calls to the servers.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 80*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testLogger sends progress messages to the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// stopOnCleanup stops a server when the test ends, even if it failed midway.
func stopOnCleanup(t *testing.T, stop func(context.Context) error) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}
