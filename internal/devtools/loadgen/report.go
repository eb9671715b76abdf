package loadgen

import (
	"fmt"
	"strings"
	"time"
)

// Report is what a run measured, phase by phase.
type Report struct {
	Concurrency int     `json:"concurrency"`
	Follow      string  `json:"follow"`
	Deliver     bool    `json:"deliver,omitempty"` // orders followed to delivered
	Phases      []Phase `json:"phases"`
	// Notes say what was not measured, and why.
	Notes []string `json:"notes,omitempty"`
}

// Phase is one closed loop of the run: the bare-engine workflows, the
// orders, or a read path's requests.
type Phase struct {
	Name       string        `json:"name"` // bare, orders, read-order, read-static
	Unit       string        `json:"unit"` // workflow, order, request
	Units      int           `json:"units"`
	Errors     int           `json:"errors"` // units that did not reach their end
	FirstError string        `json:"first_error,omitempty"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	Rate       float64       `json:"per_second"` // units per second
	// Ratio is Rate over the Rate of the phase RatioOf: orders over bare
	// workflows, an order's reads over the static route's, so a figure
	// from another machine or day still compares.
	RatioOf string  `json:"ratio_of,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"`
	Latencies
	Statuses map[string]int `json:"statuses,omitempty"` // final status -> count
	Reasons  map[string]int `json:"failure_reasons,omitempty"`
	// Transitions is the mean state transitions of a unit's workflows;
	// OpenWorkflows counts units with one still open when counted.
	Transitions   float64 `json:"transitions_per_unit,omitempty"`
	OpenWorkflows int     `json:"open_workflows,omitempty"`
	// CPU is each process's, from the phase's start until its workflows
	// closed.
	CPU []ProcessCPU `json:"cpu,omitempty"`
}

// summarize makes a phase of its units' samples; those without an error
// are its units.
func summarize(name, unit string, samples []sample, elapsed time.Duration) Phase {
	p := Phase{Name: name, Unit: unit, Elapsed: elapsed, Statuses: map[string]int{}, Reasons: map[string]int{}}
	var ok []time.Duration
	for _, s := range samples {
		if s.err != nil {
			p.Errors++
			if p.FirstError == "" {
				p.FirstError = s.err.Error()
			}
			continue
		}
		p.Statuses[s.status]++
		if s.reason != "" {
			p.Reasons[s.reason]++
		}
		ok = append(ok, s.latency)
	}
	p.Units, p.Latencies = len(ok), percentiles(ok)
	p.Rate = ratio(float64(len(ok)), elapsed.Seconds())
	return p
}

// compare sets p's ratio to the phase of.
func (p *Phase) compare(of Phase) {
	p.RatioOf, p.Ratio = of.Name, ratio(p.Rate, of.Rate)
}

// String is a line per phase, the notes, then the table.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d clients, orders followed by %s", r.Concurrency, r.Follow)
	if r.Deliver {
		b.WriteString(", then delivered by the sandbox carrier")
	}
	b.WriteString("\n")
	for _, p := range r.Phases {
		b.WriteString(p.String() + "\n")
	}
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	b.WriteString("\n" + r.Table())
	return b.String()
}

func (p Phase) String() string {
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	s := fmt.Sprintf("%s: %d %ss in %s: %.1f %s; latency p50 %s p95 %s p99 %s max %s; statuses %v",
		p.Name, p.Units, p.Unit, ms(p.Elapsed), p.Rate, rateUnit(p.Unit), ms(p.P50), ms(p.P95), ms(p.P99), ms(p.Max), p.Statuses)
	if len(p.Reasons) > 0 {
		s += fmt.Sprintf("; reasons %v", p.Reasons)
	}
	if p.RatioOf != "" {
		s += fmt.Sprintf("; %.3f of %s", p.Ratio, p.RatioOf)
	}
	if p.Transitions > 0 {
		s += fmt.Sprintf("; %.1f state transitions per %s", p.Transitions, p.Unit)
		if p.OpenWorkflows > 0 {
			s += fmt.Sprintf(" (%d with a workflow still open)", p.OpenWorkflows)
		}
	}
	s += fmt.Sprintf("; errors %d", p.Errors)
	if p.FirstError != "" {
		s += "; first error: " + p.FirstError
	}
	return s
}

func rateUnit(unit string) string {
	switch unit {
	case "workflow":
		return "wf/s"
	case "request":
		return "req/s"
	}
	return unit + "s/s"
}

// Table is the phases as a Markdown table, a column of CPU milliseconds per
// unit for each process: the README's figures are made from it.
func (r Report) Table() string {
	var procs []string
	seen := map[string]bool{}
	for _, p := range r.Phases {
		for _, c := range p.CPU {
			if !seen[c.Name] {
				seen[c.Name] = true
				procs = append(procs, c.Name)
			}
		}
	}
	head := []string{"phase", "rate", "ratio", "p50 / p95 / p99", "transitions/unit"}
	for _, n := range procs {
		head = append(head, n+" CPU ms/unit")
	}
	var b strings.Builder
	row := func(cells []string) { b.WriteString("| " + strings.Join(cells, " | ") + " |\n") }
	row(head)
	row(strings.Split(strings.Repeat("---,", len(head)-1)+"---", ","))
	for _, p := range r.Phases {
		ratio, transitions := "", ""
		if p.RatioOf != "" {
			ratio = fmt.Sprintf("%.3f of %s", p.Ratio, p.RatioOf)
		}
		if p.Transitions > 0 {
			transitions = fmt.Sprintf("%.1f", p.Transitions)
		}
		cells := []string{p.Name, fmt.Sprintf("%.1f %s", p.Rate, rateUnit(p.Unit)), ratio,
			fmt.Sprintf("%s / %s / %s ms", millis(p.P50), millis(p.P95), millis(p.P99)), transitions}
		perUnit := map[string]float64{}
		for _, c := range p.CPU {
			perUnit[c.Name] = c.PerUnit
		}
		for _, n := range procs {
			if v, ok := perUnit[n]; ok {
				cells = append(cells, threeDigits(v))
			} else {
				cells = append(cells, "")
			}
		}
		row(cells)
	}
	return b.String()
}

// millis prints d in milliseconds, with a decimal below 10 ms (reads).
func millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 10 {
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.0f", ms)
}

// threeDigits prints v to about three significant digits: a read's CPU is
// a hundredth of a millisecond, an order's hundreds.
func threeDigits(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}
