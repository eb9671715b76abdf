package sandbox_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/payments"
)

// An authorization made before a restart can be captured after it, and its
// idempotency key still replays, when the sandbox persists its ledger.
func TestPersistedLedgerSurvivesARestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "payments.json")
	run := func() (*payments.HTTPGateway, func()) {
		sb := sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, sb.Persist(state))
		srv := httptest.NewServer(sb)
		return payments.NewHTTPGateway(srv.URL, nil), func() { srv.Close(); sb.Close() }
	}
	ctx := context.Background()
	req := payments.AuthorizeRequest{IdempotencyKey: "o1:authorize", Amount: 700, Currency: "USD", Token: "tok_visa", Reference: "o1"}

	gw, stop := run()
	auth, err := gw.Authorize(ctx, req)
	require.NoError(t, err)
	stop()

	gw, stop = run() // a restart of the sandbox
	defer stop()
	again, err := gw.Authorize(ctx, req)
	require.NoError(t, err)
	require.Equal(t, auth.ID, again.ID, "the key replays the first answer")
	c, err := gw.Capture(ctx, auth.ID, 700, "o1:capture")
	require.NoError(t, err, "the authorization outlived the restart")
	require.Equal(t, "captured", c.Status)
}

func TestPersistRefusesACorruptStateFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "payments.json")
	require.NoError(t, os.WriteFile(state, []byte("{not json"), 0o600))
	require.Error(t, sandbox.New(sandbox.Options{}).Persist(state))
}
