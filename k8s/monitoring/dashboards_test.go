package monitoring

import (
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// What Grafana needs to load a dashboard file, and what makes ours work on
// any Grafana: unique panel ids, a uid of its own, and every query going to
// the Prometheus the ${datasource} variable picks.
func TestDashboards(t *testing.T) {
	files, err := fs.Glob(Dashboards, "dashboards/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"orders", "workers", "notifications", "inventory"} {
		if _, err := Dashboards.Open("dashboards/" + want + ".json"); err != nil {
			t.Errorf("no dashboards/%s.json", want)
		}
	}
	uids := map[string]string{}
	for _, name := range files {
		data, err := Dashboards.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			UID        string `json:"uid"`
			Title      string `json:"title"`
			Templating struct {
				List []struct{ Type, Name, Query string }
			}
			Panels []struct {
				ID         int `json:"id"`
				Type       string
				Datasource *struct{ Type, UID string }
			}
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid %q, title %q: want both", name, d.UID, d.Title)
		}
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s: uid %q is %s's too", name, d.UID, other)
		}
		uids[d.UID] = name
		hasVariable := false
		for _, v := range d.Templating.List {
			hasVariable = hasVariable || v.Type == "datasource" && v.Name == "datasource" && v.Query == "prometheus"
		}
		if !hasVariable {
			t.Errorf("%s: no Prometheus datasource variable named datasource", name)
		}
		for _, p := range d.Panels {
			if p.Type != "row" && (p.Datasource == nil || p.Datasource.UID != "${datasource}" || p.Datasource.Type != "prometheus") {
				t.Errorf("%s panel %d: datasource %+v, want the ${datasource} Prometheus", name, p.ID, p.Datasource)
			}
		}
		ps, err := panels(data)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[int]bool{}
		for _, p := range ps {
			if p.ID == 0 || ids[p.ID] {
				t.Errorf("%s: panel %q has id %d, zero or taken", name, p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: panel %d (%s) queries nothing", name, p.ID, p.Title)
			}
		}
	}
}

// Every expression is PromQL once Grafana has filled in its variables (a
// dashboard's) or as it is (a rule's).
func TestExpressionsParse(t *testing.T) {
	exprs, err := expressions()
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	for _, e := range exprs {
		if strings.TrimSpace(e.PromQL) == "" {
			t.Errorf("%s: no expression", e.Where)
			continue
		}
		if _, err := p.ParseExpr(e.PromQL); err != nil {
			t.Errorf("%s: %v", e.Where, err)
		}
	}
	names, err := MetricNames()
	if err != nil {
		t.Fatal(err)
	}
	// A sample of both sources, so a reader that lost one would show.
	for _, want := range []string{"up", "orderflow_compensations_total", "approximate_backlog_count", "orderflow_reservations_held"} {
		if !slices.Contains(names, want) {
			t.Errorf("MetricNames() = %v, lacks %s", names, want)
		}
	}
}
