// Package loadgen drives the REST API like a crowd of shoppers: a closed loop
// of concurrent clients, each placing an order and following it to its final
// status, and reports throughput and end-to-end latency percentiles. It
// measures the whole platform (API, Temporal, workers, PostgreSQL, Kafka),
// which is what the README's figures are.
//
// Absolute figures change with the machine and whatever else it runs, so a
// run also measures a baseline beside each: first a bare-engine phase (a
// workflow of five no-op activities, bare.go) on the same Temporal with the
// same concurrency, so orders/s is also a ratio of what the engine alone
// gives; and, with Options.Read, an order's read beside a static route of
// the same server. Each phase reports the state transitions of its
// workflows and the CPU of each process of the stack per unit, which is
// where the next bottleneck shows.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/orderflow/orderflow/internal/platform/config"
)

// Options shape a run.
type Options struct {
	// Settings are the api's address, the demo customer who places the
	// orders, and Temporal with its payload keys.
	Settings    config.Loadgen
	Orders      int      // how many orders in all, and bare workflows
	Concurrency int      // clients at once, in every phase
	SKUs        []string // round-robin; one unit each
	Token       string   // payment token, e.g. tok_visa
	Timeout     time.Duration
	// Follow is how each client follows its order to the end: FollowStream,
	// FollowWait or FollowPoll.
	Follow string
	// Deliver takes each completed order on to delivered: its parcels
	// are moved on at the sandbox carrier (Settings.CarrierURL), a status
	// at a time as a carrier reports them, so a unit is placed to
	// delivered and its transitions are the order's whole life.
	Deliver bool
	// Bare runs the bare-engine phase before the orders.
	Bare bool
	// Read, when set, is how long each read phase hammers its route after
	// the orders: an order placed in the run, then the static route.
	Read time.Duration
	// DataDir is the stack's data directory, where `orderflow dev` lists
	// its processes; "" or no list there measures no CPU.
	DataDir string
	Logger  *slog.Logger
}

// Run runs the phases: bare engine, orders, then reads.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Orders < 1 || o.Concurrency < 1 || len(o.SKUs) == 0 {
		return Report{}, errors.New("loadgen: want orders >= 1, concurrency >= 1 and at least one SKU")
	}
	if !slices.Contains([]string{FollowStream, FollowWait, FollowPoll}, o.Follow) {
		return Report{}, fmt.Errorf("loadgen: follow %q: want %s, %s or %s", o.Follow, FollowStream, FollowWait, FollowPoll)
	}
	rep := Report{Concurrency: o.Concurrency, Follow: o.Follow, Deliver: o.Deliver}
	c := newCaller(o.Settings.APIURL, o.Settings.DemoCustomerEmail, o.Settings.DemoCustomerPassword, o.Concurrency)
	if err := c.signIn(ctx, ""); err != nil {
		return rep, err
	}
	tc, err := dialTemporal(ctx, o.Settings, o.Logger)
	if err != nil {
		return rep, err
	}
	defer tc.Close()
	var cpu *cpuMeter
	if o.DataDir == "" {
		rep.Notes = append(rep.Notes, "CPU not measured: no stack data directory")
	} else if cpu, err = newCPUMeter(o.DataDir); err != nil {
		rep.Notes = append(rep.Notes, fmt.Sprintf("CPU not measured: %v (orderflow dev lists its processes there while it runs; see --data-dir)", err))
	}
	r := runner{o: o, cpu: cpu, temporal: tc}

	var bare *phaseRun
	if o.Bare {
		if bare, err = r.bare(ctx); err != nil {
			return rep, err
		}
		rep.Phases = append(rep.Phases, bare.Phase)
	}
	orders, err := r.phase(ctx, "orders", "order", o.Orders,
		func(ctx context.Context, i int) sample { return placeAndFollow(ctx, c, o, i) }, orderWorkflows)
	if err != nil {
		return rep, err
	}
	if bare != nil {
		orders.compare(bare.Phase)
	}
	rep.Phases = append(rep.Phases, orders.Phase)
	if o.Read > 0 {
		i := slices.IndexFunc(orders.samples, func(s sample) bool { return s.err == nil })
		if i < 0 {
			rep.Notes = append(rep.Notes, "read path not measured: no order reached a final status")
			return rep, ctx.Err()
		}
		reads, err := r.reads(ctx, c, orders.samples[i].id)
		if err != nil {
			return rep, err
		}
		rep.Phases = append(rep.Phases, reads...)
	}
	return rep, ctx.Err()
}
