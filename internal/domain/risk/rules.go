// Package risk assesses an order before its payment is authorized: rules,
// which are data (a JSON file), score the order's signals (its total, the
// customer's account, and counters of recent orders and declined payments
// per customer and per card kept in Redis), and the score's level decides
// what the saga does: low goes on, medium waits for an admin's approval,
// high fails the order.
package risk

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Level is an assessment's verdict.
type Level string

// Levels, in increasing risk.
const (
	LevelLow    Level = "low"
	LevelMedium Level = "medium"
	LevelHigh   Level = "high"
)

// Rules are a policy: each rule adds its points when its signal is at or
// above AtLeast, or below Below; the sum's level is medium from Medium and
// high from High. Window is how far back the counters look.
type Rules struct {
	Window Duration `json:"window"`
	Medium int      `json:"medium"`
	High   int      `json:"high"`
	Rules  []Rule   `json:"rules"`
}

// Rule scores one signal. Reason is what admins read when it applies.
type Rule struct {
	Signal  Signal   `json:"signal"`
	AtLeast *float64 `json:"at_least,omitempty"`
	Below   *float64 `json:"below,omitempty"`
	Points  int      `json:"points"`
	Reason  string   `json:"reason"`
}

// Duration is a time.Duration written as "1h" in the rules' JSON.
type Duration time.Duration

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration such as "1h"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes it back as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

//go:embed default_rules.json
var defaultRules []byte

// DefaultRules is the policy shipped with orderflow (default_rules.json).
func DefaultRules() Rules {
	r, err := ParseRules(defaultRules)
	if err != nil {
		panic("risk: the embedded default_rules.json is invalid: " + err.Error()) // caught by the tests
	}
	return r
}

// LoadRules reads the policy of path (RISK_RULES_FILE), or the default one
// when path is "".
func LoadRules(path string) (Rules, error) {
	if path == "" {
		return DefaultRules(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("RISK_RULES_FILE: %w", err)
	}
	r, err := ParseRules(b)
	if err != nil {
		return Rules{}, fmt.Errorf("RISK_RULES_FILE=%s: %w", path, err)
	}
	return r, nil
}

// ParseRules decodes a policy strictly (unknown fields are errors) and
// checks it.
func ParseRules(b []byte) (Rules, error) {
	var r Rules
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Rules{}, err
	}
	return r, r.Validate()
}

// Validate reports every mistake in the policy.
func (r Rules) Validate() error {
	var errs []error
	if r.Window <= 0 {
		errs = append(errs, errors.New("window: want a positive duration"))
	}
	if r.Medium <= 0 || r.High <= r.Medium {
		errs = append(errs, fmt.Errorf("medium=%d, high=%d: want 0 < medium < high", r.Medium, r.High))
	}
	for i, rule := range r.Rules {
		if !slices.Contains(Signals, rule.Signal) {
			errs = append(errs, fmt.Errorf("rules[%d]: unknown signal %q (want one of %v)", i, rule.Signal, Signals))
		}
		if (rule.AtLeast == nil) == (rule.Below == nil) {
			errs = append(errs, fmt.Errorf("rules[%d]: want exactly one of at_least and below", i))
		}
		if rule.Points <= 0 {
			errs = append(errs, fmt.Errorf("rules[%d]: points must be positive", i))
		}
		if strings.TrimSpace(rule.Reason) == "" {
			errs = append(errs, fmt.Errorf("rules[%d]: a reason is required", i))
		}
	}
	return errors.Join(errs...)
}

// Assessment is the verdict on one order: its level, its score and the
// reasons of the rules that applied, as admins see them on the order.
type Assessment struct {
	Level   Level    `json:"level"`
	Score   int      `json:"score"`
	Reasons []string `json:"reasons"`
}

// Assess scores the signals. A signal that was not measured (absent from
// values) matches no rule.
func (r Rules) Assess(values Values) Assessment {
	a := Assessment{Level: LevelLow, Reasons: []string{}}
	for _, rule := range r.Rules {
		v, ok := values[rule.Signal]
		if !ok || !rule.matches(v) {
			continue
		}
		a.Score += rule.Points
		a.Reasons = append(a.Reasons, rule.Reason)
	}
	switch {
	case a.Score >= r.High:
		a.Level = LevelHigh
	case a.Score >= r.Medium:
		a.Level = LevelMedium
	}
	return a
}

func (rule Rule) matches(v float64) bool {
	if rule.AtLeast != nil {
		return v >= *rule.AtLeast
	}
	return v < *rule.Below
}
