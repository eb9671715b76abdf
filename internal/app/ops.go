package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// serveOps serves a role's /healthz, /readyz (its checks) and /metrics on
// addr, a port apart from any public one: probes and Prometheus reach it,
// the Ingress never routes there. It serves until stop, which drains it
// within drain; done reports a listener that failed, or nil after stop.
func serveOps(addr, role string, checks map[string]httpx.Check, drain time.Duration, logger *slog.Logger) (done <-chan error, stop func()) {
	r := mux.NewRouter()
	httpx.InstallRouting(r)
	httpx.MountOps(r, checks)
	srv := httpx.NewServer(addr, httpx.Observe(role, logger, r))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- httpx.Serve(ctx, srv, drain, logger) }()
	return errc, cancel
}

// serveWithOps serves public until ctx ends, with the role's ops endpoints
// beside it (serveOps) until public has drained, so probes keep answering
// through the drain. Either listener failing stops both: a role nobody can
// probe must not serve.
func serveWithOps(ctx context.Context, public *http.Server, opsAddr, role string, checks map[string]httpx.Check, drain time.Duration, logger *slog.Logger) error {
	opsDone, stopOps := serveOps(opsAddr, role, checks, drain, logger)
	publicCtx, stopPublic := context.WithCancel(ctx)
	defer stopPublic()
	publicDone := make(chan error, 1)
	go func() { publicDone <- httpx.Serve(publicCtx, public, drain, logger) }()
	select {
	case err := <-publicDone:
		stopOps()
		return errors.Join(err, <-opsDone)
	case err := <-opsDone:
		stopPublic()
		return errors.Join(err, <-publicDone)
	}
}
