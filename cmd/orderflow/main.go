// Command orderflow is the one binary of the platform. Each role runs alone,
// as it does in Kubernetes:
//
//	orderflow api                      REST API (API_ADDR)
//	orderflow worker --queue QUEUE     Temporal worker: orders, inventory or notifications (OPS_ADDR)
//	orderflow frontend                 dashboard (FRONTEND_ADDR), proxies /api/ to API_URL
//	orderflow migrate [--seed]         apply database migrations; --seed loads the demo catalogue
//	orderflow wait-for-schema          wait until the database has this binary's migrations (init containers)
//	orderflow healthcheck URL          exit 0 when URL answers 200 (container healthchecks: the image has no shell)
//	orderflow inventory-rebuild        rebuild stock rows from their ledger; --check compares, exit 1 on drift
//	orderflow sandbox                  provider sandboxes: payments, SendGrid, Twilio (SANDBOX_ADDR)
//	orderflow dev                      the whole local stack as processes (what `make run` runs)
//	orderflow loadgen [flags]          place orders through the API and report throughput, latency and CPU beside a bare-engine baseline
//	orderflow version                  print the version: its workers' build ID, unless WORKER_BUILD_ID sets another
//
// Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/orderflow/orderflow/internal/app"
	"github.com/orderflow/orderflow/internal/devtools/loadgen"
	"github.com/orderflow/orderflow/internal/platform/buildinfo"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/logging"
)

const usage = `usage: orderflow <role> [flags]

roles:
  api                      serve the REST API
  worker --queue QUEUE     run the Temporal worker of QUEUE (orders, inventory, notifications)
  frontend                 serve the dashboard
  migrate [--seed]         apply database migrations (--seed: load the demo catalogue)
  wait-for-schema          wait until the database has this binary's migrations (--timeout)
  healthcheck URL          exit 0 when URL (a role's /readyz) answers 200 within 3 s
  inventory-rebuild        rebuild stock rows from the stock ledger (--check: compare only, exit 1 on drift)
  sandbox                  serve the local provider sandboxes
  dev                      run the whole local stack (make run)
  loadgen [flags]          place orders through API_URL and report throughput, latency and CPU, beside a bare-engine baseline
  version                  print the version (the workers' build ID, unless WORKER_BUILD_ID sets one)
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "orderflow:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, usage)
		if len(args) == 0 {
			return errors.New("no role given")
		}
		return nil
	}
	switch args[0] {
	case "version":
		fmt.Println(buildinfo.Version())
		return nil
	case "healthcheck":
		return healthcheck(args[1:])
	}
	logs, err := config.Load[config.Log](os.LookupEnv)
	if err != nil {
		return err
	}
	logger := logging.New(os.Stderr, logs.LogLevel).With("role", args[0])
	if args[0] == "dev" {
		logger = logging.NewText(os.Stderr, logs.LogLevel) // a person reads this one
	}
	// SIGTERM (Kubernetes) and SIGINT (Ctrl-C) end the context: every role
	// then stops taking work and drains what it has.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	role, flags := args[0], flag.NewFlagSet(args[0], flag.ContinueOnError)
	switch role {
	case "api":
		return parseThen(flags, args[1:], withSettings(func(cfg config.API) error { return app.RunAPI(ctx, cfg, logger) }))
	case "worker":
		queue := flags.String("queue", os.Getenv("WORKER_QUEUE"), "task queue: orders, inventory or notifications (env WORKER_QUEUE)")
		return parseThen(flags, args[1:], func() error {
			if *queue == "" {
				return errors.New("worker: --queue is required (orders, inventory or notifications)")
			}
			return app.RunWorker(ctx, *queue, os.LookupEnv, logger)
		})
	case "frontend":
		return parseThen(flags, args[1:], withSettings(func(cfg config.Frontend) error { return app.RunFrontend(ctx, cfg, logger) }))
	case "migrate":
		seed := flags.Bool("seed", false, "load the demo catalogue (development only)")
		return parseThen(flags, args[1:], func() error {
			if *seed {
				return withSettings(func(cfg config.Seed) error { return app.Seed(ctx, cfg, logger) })()
			}
			return withSettings(func(cfg config.Migrate) error { return app.Migrate(ctx, cfg, logger) })()
		})
	case "wait-for-schema":
		timeout := flags.Duration("timeout", 10*time.Minute, "how long to wait")
		return parseThen(flags, args[1:], withSettings(func(cfg config.SchemaWait) error {
			return app.WaitForSchema(ctx, cfg, *timeout, logger)
		}))
	case "inventory-rebuild":
		check := flags.Bool("check", false, "compare stock rows with their ledger without writing; exit 1 on drift")
		return parseThen(flags, args[1:], withSettings(func(cfg config.InventoryRebuild) error {
			return app.RunInventoryRebuild(ctx, cfg, *check, os.Stdout, logger)
		}))
	case "sandbox":
		return parseThen(flags, args[1:], withSettings(func(cfg config.Sandbox) error { return app.RunSandbox(ctx, cfg, logger) }))
	case "dev":
		return parseThen(flags, args[1:], func() error { return app.RunDev(ctx, os.LookupEnv, logger) })
	case "loadgen":
		// The demo customer places the orders; its password is passed by
		// environment (DEMO_CUSTOMER_PASSWORD), never on the command line.
		var o loadgen.Options
		flags.IntVar(&o.Orders, "orders", 200, "orders to place (and bare-engine workflows to run)")
		flags.IntVar(&o.Concurrency, "concurrency", 20, "clients at once, in every phase")
		skus := flags.String("skus", "MUG-CERAMIC,TSHIRT-BLK-M", "comma-separated SKUs, one unit each, round-robin")
		flags.StringVar(&o.Token, "token", "tok_visa", "payment token")
		flags.DurationVar(&o.Timeout, "timeout", time.Minute, "how long one order may take")
		flags.StringVar(&o.Follow, "follow", loadgen.FollowStream, "how each client follows its order: stream (server-sent events), wait (a long-poll per status change) or poll (a read every 20 ms)")
		flags.BoolVar(&o.Deliver, "deliver", false, "take each completed order on to delivered: move its parcels on at the sandbox carrier (CARRIER_URL), a status at a time")
		flags.BoolVar(&o.Bare, "bare", true, "first run as many bare-engine workflows (five no-op activities), for orders/s as a ratio of the engine's rate")
		flags.DurationVar(&o.Read, "read", 0, "after the orders, hammer GET /api/orders/{id}, then GET /api/auth/jwks.json, each this long (0: not)")
		flags.StringVar(&o.DataDir, "data-dir", "", "the data directory of the orderflow dev stack, whose processes' CPU per unit is reported (default: ORDERFLOW_DATA_DIR's)")
		asJSON := flags.Bool("json", false, "print the report as JSON")
		return parseThen(flags, args[1:], withSettings(func(cfg config.Loadgen) error {
			o.Settings, o.Logger = cfg, logger
			o.SKUs = strings.Split(*skus, ",")
			if o.DataDir == "" {
				// Where `orderflow dev` of this environment lists its processes.
				dev, err := config.Load[config.Dev](os.LookupEnv)
				if err != nil {
					return err
				}
				o.DataDir = dev.DataDir
			}
			rep, err := loadgen.Run(ctx, o)
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			fmt.Print(rep)
			return nil
		}))
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown role %q", role)
	}
}

// withSettings reads the role's settings from the environment, then runs it.
func withSettings[T any](run func(T) error) func() error {
	return func() error {
		cfg, err := config.Load[T](os.LookupEnv)
		if err != nil {
			return err
		}
		return run(cfg)
	}
}

func parseThen(flags *flag.FlagSet, args []string, fn func() error) error {
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}
	return fn()
}
