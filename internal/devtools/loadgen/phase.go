package loadgen

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"
)

// runner runs the phases of one run.
type runner struct {
	o        Options
	cpu      *cpuMeter // nil: CPU not measured
	temporal client.Client
}

// phaseRun is a phase with its units' samples, which later phases use.
type phaseRun struct {
	Phase
	samples []sample
}

// phase runs n units of unit in a closed loop (n = 0: for Options.Read),
// then counts the state transitions of each successful unit's workflows
// (workflows nil: none), and meters each process's CPU from the start until
// those workflows have closed, so a unit's CPU is all of its work, an
// order's notification included.
func (r runner) phase(ctx context.Context, name, unit string, n int, do func(context.Context, int) sample, workflows func(sample) []string) (phaseRun, error) {
	var before cpuSample
	if r.cpu != nil {
		var err error
		if before, err = r.cpu.sample(); err != nil {
			return phaseRun{}, err
		}
	}
	samples, elapsed := closedLoop(ctx, r.o.Concurrency, n, time.Now().Add(r.o.Read), do)
	p := summarize(name, unit, samples, elapsed)
	if workflows != nil {
		var units [][]string
		for _, s := range samples {
			if s.err == nil {
				units = append(units, workflows(s))
			}
		}
		// An order's notification may still run when the order is final;
		// the last ones are waited for as long as an order may take.
		wctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
		var err error
		p.Transitions, p.OpenWorkflows, err = meanTransitions(wctx, r.temporal, units)
		cancel()
		if err != nil {
			return phaseRun{}, err
		}
	}
	if r.cpu != nil {
		after, err := r.cpu.sample()
		if err != nil {
			return phaseRun{}, err
		}
		p.CPU = r.cpu.between(before, after, p.Units)
	}
	return phaseRun{Phase: p, samples: samples}, nil
}
