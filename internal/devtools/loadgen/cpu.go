package loadgen

import (
	"os"
	"time"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
)

// cpuMeter reads the CPU time of each process of the stack, and of the load
// generator itself (which runs the bare-engine worker).
type cpuMeter struct {
	procs devstack.ProcessList
}

// newCPUMeter meters the processes of the stack whose data directory is
// dataDir (devstack.ProcessesFile), and this one.
func newCPUMeter(dataDir string) (*cpuMeter, error) {
	ps, err := devstack.ReadProcesses(dataDir)
	if err != nil {
		return nil, err
	}
	return &cpuMeter{procs: append(ps, devstack.ProcessEntry{Name: "loadgen", PID: os.Getpid()})}, nil
}

// cpuSample is each process's CPU ticks so far, by name.
type cpuSample map[string]uint64

func (m *cpuMeter) sample() (cpuSample, error) {
	stats, err := readProcStats("/proc")
	if err != nil {
		return nil, err
	}
	apart := map[int]bool{}
	for _, p := range m.procs {
		apart[p.PID] = true
	}
	children := childrenOf(stats)
	s := cpuSample{}
	for _, p := range m.procs {
		s[p.Name] = treeTicks(stats, children, p.PID, apart)
	}
	return s, nil
}

// ProcessCPU is one process's CPU over a phase.
type ProcessCPU struct {
	Name string `json:"name"`
	// CPU is user and system time, its descendants' included.
	CPU time.Duration `json:"cpu_ns"`
	// PerUnit is CPU divided by the phase's units, in milliseconds.
	PerUnit float64 `json:"ms_per_unit"`
}

// between is each process's CPU from a to b, in the meter's order, per
// unit of units.
func (m *cpuMeter) between(a, b cpuSample, units int) []ProcessCPU {
	out := make([]ProcessCPU, 0, len(m.procs))
	for _, p := range m.procs {
		ticks := b[p.Name] - min(a[p.Name], b[p.Name]) // a restarted process starts again from 0
		d := time.Duration(ticks) * time.Second / clockTicks
		out = append(out, ProcessCPU{Name: p.Name, CPU: d, PerUnit: ratio(float64(d)/float64(time.Millisecond), float64(units))})
	}
	return out
}
