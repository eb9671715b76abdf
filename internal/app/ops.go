package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// serveOps serves a role's /healthz, /readyz (its checks), /metrics and,
// when ops.Pprof asks, /debug/pprof/ on ops.OpsAddr, a port apart from any
// public one: probes and Prometheus reach it, the Ingress never routes
// there. It fails at once when the address cannot be
// listened on (a role nobody can probe must not run); otherwise it serves
// until stop, which drains it within drain, and done reports a server
// that failed, or nil after stop.
func serveOps(ops config.Ops, role string, checks map[string]httpx.Check, drain time.Duration, logger *slog.Logger) (done <-chan error, stop func(), err error) {
	addr := ops.OpsAddr
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("ops listener (OPS_ADDR=%s): %w", addr, err)
	}
	r := mux.NewRouter()
	httpx.InstallRouting(r)
	httpx.MountOps(r, checks)
	if ops.Pprof {
		httpx.MountPprof(r)
	}
	srv := httpx.NewServer(addr, httpx.Observe(role, logger, r))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- httpx.ServeListener(ctx, srv, ln, drain, logger) }()
	return errc, cancel, nil
}

// serveWithOps serves public until ctx ends, with the role's ops endpoints
// beside it (serveOps) until public has drained, so probes keep answering
// through the drain. Either listener failing stops both: a role nobody can
// probe must not serve.
func serveWithOps(ctx context.Context, public *http.Server, ops config.Ops, role string, checks map[string]httpx.Check, drain time.Duration, logger *slog.Logger) error {
	opsDone, stopOps, err := serveOps(ops, role, checks, drain, logger)
	if err != nil {
		return err
	}
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
