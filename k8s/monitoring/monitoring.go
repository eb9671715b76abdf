// Package monitoring holds what ships for Prometheus and Grafana: the alert
// rules, which the local stack's Prometheus loads as well, and the
// dashboards. prometheusrule.yaml and dashboards/ are generated from
// rules.yaml and the Go code in gen/.
package monitoring

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

//go:generate go run ./gen

// Rules is rules.yaml, a plain Prometheus rule file.
//
//go:embed rules.yaml
var Rules []byte

// Dashboards holds dashboards/*.json, Grafana dashboards ready for
// provisioning.
//
//go:embed dashboards/*.json
var Dashboards embed.FS

// expression is one PromQL expression of a rule or a dashboard panel.
type expression struct {
	// Where names it: "rules.yaml OrderflowRoleDown",
	// "dashboards/orders.json panel 2 (Orders ended, by outcome)".
	Where string
	// PromQL is the expression as Prometheus sees it: a dashboard's Grafana
	// variables are replaced by a sample value.
	PromQL string
}

// expressions returns every expression of the rules and the dashboards.
func expressions() ([]expression, error) {
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(Rules, &file); err != nil {
		return nil, fmt.Errorf("rules.yaml: %w", err)
	}
	var out []expression
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			// A rule is an alert or a recording rule.
			out = append(out, expression{"rules.yaml " + r.Alert + r.Record, r.Expr})
		}
	}
	files, err := fs.Glob(Dashboards, "dashboards/*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		exprs, err := dashboardExpressions(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, exprs...)
	}
	return out, nil
}

// panel is the part of a Grafana panel the expressions are read from; a row
// holds its panels when it is collapsed.
type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

// panels returns a dashboard's panels, those in rows included.
func panels(dashboard []byte) ([]panel, error) {
	var d struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(dashboard, &d); err != nil {
		return nil, err
	}
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out, nil
}

// grafanaIntervals are the interval variables Grafana fills in before a query
// reaches Prometheus.
var grafanaIntervals = regexp.MustCompile(`\$__(rate_interval|interval|range)\b`)

func dashboardExpressions(name string) ([]expression, error) {
	data, err := Dashboards.ReadFile(name)
	if err != nil {
		return nil, err
	}
	ps, err := panels(data)
	if err != nil {
		return nil, err
	}
	var out []expression
	for _, p := range ps {
		for _, t := range p.Targets {
			out = append(out, expression{
				Where:  fmt.Sprintf("%s panel %d (%s)", name, p.ID, p.Title),
				PromQL: grafanaIntervals.ReplaceAllString(t.Expr, "5m"),
			})
		}
	}
	return out, nil
}

// MetricNames returns, sorted, every metric name an expression of the rules
// or the dashboards selects: what the roles (and, for
// approximate_backlog_count, the Temporal server; for up, Prometheus) must
// export for them to work.
func MetricNames() ([]string, error) {
	exprs, err := expressions()
	if err != nil {
		return nil, err
	}
	p := parser.NewParser(parser.Options{})
	seen := map[string]bool{}
	for _, e := range exprs {
		ast, err := p.ParseExpr(e.PromQL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Where, err)
		}
		parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
			if vs, ok := node.(*parser.VectorSelector); ok {
				name := metricName(vs)
				if name == "" {
					err = fmt.Errorf("%s: %s selects no single metric name", e.Where, vs)
				}
				seen[name] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// metricName is a selector's metric name, written before the braces or as
// {__name__="..."}; "" for a selector by a pattern of names, whose metrics no
// list can hold.
func metricName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}
