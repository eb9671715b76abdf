package providers_test

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
)

// startSandbox serves a sandbox on loopback and returns it with its URL.
func startSandbox(t *testing.T, opts sandbox.Options) (*sandbox.Sandbox, string) {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	sb := sandbox.New(opts)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close) // runs first: no callback outlives the test
	return sb, srv.URL
}

func addFault(t *testing.T, sb *sandbox.Sandbox, f sandbox.Fault) {
	t.Helper()
	require.NoError(t, sb.AddFault(f))
}
