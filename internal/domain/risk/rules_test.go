package risk_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/risk"
)

// The shipped policy, on the orders people place.
func TestDefaultRules(t *testing.T) {
	rules := risk.DefaultRules()
	for _, tc := range []struct {
		name   string
		values risk.Values
		want   risk.Level
	}{
		{"a small order of an old account", risk.Values{risk.OrderTotal: 2500, risk.AccountAgeHours: 400}, risk.LevelLow},
		// The load generator: the demo customer, one card, hundreds of
		// orders an hour, no declines.
		{"a burst of orders from a new account", risk.Values{risk.OrderTotal: 2500, risk.AccountAgeHours: 0.1,
			risk.CustomerOrders: 300, risk.CardOrders: 300}, risk.LevelLow},
		{"a new account paying with a card declined three times", risk.Values{risk.OrderTotal: 2500, risk.AccountAgeHours: 1,
			risk.ContactOverride: 1, risk.CustomerFailedPayments: 3}, risk.LevelMedium},
		{"a very large order", risk.Values{risk.OrderTotal: 600000, risk.AccountAgeHours: 400}, risk.LevelMedium},
		{"card testing", risk.Values{risk.OrderTotal: 100, risk.AccountAgeHours: 1, risk.ContactOverride: 1,
			risk.CustomerFailedPayments: 6, risk.CardFailedPayments: 6}, risk.LevelHigh},
		{"an old account while Redis is down", risk.Values{risk.OrderTotal: 2500, risk.AccountAgeHours: 400,
			risk.CountersUnavailable: 1}, risk.LevelLow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := rules.Assess(tc.values)
			require.Equal(t, tc.want, a.Level, "%+v", a)
			require.Len(t, a.Reasons, countMatches(rules, tc.values))
		})
	}
}

// countMatches is how many rules the values meet, by a second reading of
// the rules.
func countMatches(r risk.Rules, v risk.Values) int {
	n := 0
	for _, rule := range r.Rules {
		x, ok := v[rule.Signal]
		if ok && ((rule.AtLeast != nil && x >= *rule.AtLeast) || (rule.Below != nil && x < *rule.Below)) {
			n++
		}
	}
	return n
}

func TestAssessScoresAndReasons(t *testing.T) {
	rules, err := risk.ParseRules([]byte(`{"window": "10m", "medium": 10, "high": 20, "rules": [
		{"signal": "order_total", "at_least": 1000, "points": 10, "reason": "large"},
		{"signal": "account_age_hours", "below": 1, "points": 10, "reason": "new"}]}`))
	require.NoError(t, err)

	a := rules.Assess(risk.Values{risk.OrderTotal: 999})
	require.Equal(t, risk.Assessment{Level: risk.LevelLow, Score: 0, Reasons: []string{}}, a)
	a = rules.Assess(risk.Values{risk.OrderTotal: 1000, risk.AccountAgeHours: 2})
	require.Equal(t, risk.Assessment{Level: risk.LevelMedium, Score: 10, Reasons: []string{"large"}}, a)
	a = rules.Assess(risk.Values{risk.OrderTotal: 1000, risk.AccountAgeHours: 0.5})
	require.Equal(t, risk.Assessment{Level: risk.LevelHigh, Score: 20, Reasons: []string{"large", "new"}}, a)
	// An unmeasured signal (no account age) meets no rule, not even "below".
	a = rules.Assess(risk.Values{risk.OrderTotal: 10})
	require.Equal(t, risk.LevelLow, a.Level)
}

func TestParseRulesRefusesMistakes(t *testing.T) {
	for _, tc := range []struct{ rules, want string }{
		{`{"window": "1h", "medium": 5, "high": 9, "rules": [], "extra": 1}`, `unknown field "extra"`},
		{`{"window": "soon", "medium": 5, "high": 9, "rules": []}`, `invalid duration`},
		{`{"medium": 5, "high": 9, "rules": []}`, "window: want a positive duration"},
		{`{"window": "1h", "medium": 9, "high": 5, "rules": []}`, "want 0 < medium < high"},
		{`{"window": "1h", "medium": 5, "high": 9, "rules": [{"signal": "shoe_size", "at_least": 1, "points": 1, "reason": "r"}]}`, `unknown signal "shoe_size"`},
		{`{"window": "1h", "medium": 5, "high": 9, "rules": [{"signal": "order_total", "points": 1, "reason": "r"}]}`, "exactly one of at_least and below"},
		{`{"window": "1h", "medium": 5, "high": 9, "rules": [{"signal": "order_total", "at_least": 1, "below": 2, "points": 1, "reason": "r"}]}`, "exactly one of at_least and below"},
		{`{"window": "1h", "medium": 5, "high": 9, "rules": [{"signal": "order_total", "at_least": 1, "points": 0, "reason": "r"}]}`, "points must be positive"},
		{`{"window": "1h", "medium": 5, "high": 9, "rules": [{"signal": "order_total", "at_least": 1, "points": 1, "reason": " "}]}`, "a reason is required"},
	} {
		_, err := risk.ParseRules([]byte(tc.rules))
		require.Error(t, err, tc.rules)
		require.True(t, strings.Contains(err.Error(), tc.want), "%s: %v", tc.rules, err)
	}
}

func TestLoadRules(t *testing.T) {
	r, err := risk.LoadRules("")
	require.NoError(t, err)
	require.Equal(t, risk.DefaultRules(), r)
	_, err = risk.LoadRules(t.TempDir() + "/missing.json")
	require.ErrorContains(t, err, "RISK_RULES_FILE")
}

// The example of docs/risk.md is a policy the worker would take.
func TestTheDocumentedExampleParses(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/risk.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	require.True(t, ok, "docs/risk.md has no JSON example")
	example, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	_, err = risk.ParseRules([]byte(example))
	require.NoError(t, err)
}
