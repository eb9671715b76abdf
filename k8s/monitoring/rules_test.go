package monitoring

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"sigs.k8s.io/yaml"

	"github.com/orderflow/orderflow/internal/devtools/devstack"
)

// Prometheus's own checks: the rule file loads (syntax, templates, names),
// and every case of rules_test.yaml passes.
func TestPromtool(t *testing.T) {
	_, promtool, err := devstack.InstallPrometheus(context.Background(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", "rules.yaml"}, {"test", "rules", "rules_test.yaml"}} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// ruleGroups is rules.yaml decoded strictly into the Prometheus Operator's
// types: a field it does not know would be dropped from the PrometheusRule.
func ruleGroups(t *testing.T) []monitoringv1.RuleGroup {
	t.Helper()
	var file struct {
		Groups []monitoringv1.RuleGroup `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(Rules, &file); err != nil {
		t.Fatalf("rules.yaml: %v", err)
	}
	if len(file.Groups) == 0 {
		t.Fatal("rules.yaml: no groups")
	}
	return file.Groups
}

const runbook = "../../docs/runbook.md"

// runbookURL is where an alert's runbook section is, on the default branch.
var runbookURL = regexp.MustCompile(`^https://github\.com/orderflow/orderflow/blob/main/docs/runbook\.md#([a-z0-9-]+)$`)

// Every alert says how bad it is and what it means, links to its section of
// docs/runbook.md, and is tested firing and silent; every alert section of
// the runbook belongs to an alert.
func TestAlertsAreDocumentedAndTested(t *testing.T) {
	doc, err := os.ReadFile(runbook)
	if err != nil {
		t.Fatal(err)
	}
	anchors := headingAnchors(string(doc))
	tests, err := os.ReadFile("rules_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	firing, silent := alertTests(t, tests)
	// alerts holds each alert's anchor.
	alerts := map[string]bool{}
	for _, g := range ruleGroups(t) {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts[strings.ToLower(r.Alert)] = true
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			for _, a := range []string{"summary", "description"} {
				if r.Annotations[a] == "" {
					t.Errorf("%s: no %s", r.Alert, a)
				}
			}
			m := runbookURL.FindStringSubmatch(r.Annotations["runbook_url"])
			switch {
			case m == nil:
				t.Errorf("%s: runbook_url %q is not a section of docs/runbook.md", r.Alert, r.Annotations["runbook_url"])
			case m[1] != strings.ToLower(r.Alert):
				t.Errorf("%s: runbook_url points at #%s, want #%s", r.Alert, m[1], strings.ToLower(r.Alert))
			case !anchors[m[1]]:
				t.Errorf("%s: docs/runbook.md has no section #%s (a heading \"## %s\")", r.Alert, m[1], r.Alert)
			}
			if !firing[r.Alert] {
				t.Errorf("%s: rules_test.yaml has no case where it fires", r.Alert)
			}
			if !silent[r.Alert] {
				t.Errorf("%s: rules_test.yaml has no case where it stays silent", r.Alert)
			}
		}
	}
	for anchor := range anchors {
		if strings.HasPrefix(anchor, "orderflow") && !alerts[anchor] {
			t.Errorf("docs/runbook.md has a section #%s for no alert", anchor)
		}
	}
}

// headingAnchors are the anchors GitHub gives a Markdown file's headings:
// lower case, punctuation dropped, spaces to hyphens.
func headingAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for line := range strings.Lines(doc) {
		if title, ok := strings.CutPrefix(line, "#"); ok {
			title = strings.TrimLeft(title, "#")
			anchor := drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(title)), "")
			anchors[strings.ReplaceAll(anchor, " ", "-")] = true
		}
	}
	return anchors
}

// alertTests reads which alerts rules_test.yaml expects to fire, and which
// to stay silent, at some evaluation.
func alertTests(t *testing.T, data []byte) (firing, silent map[string]bool) {
	t.Helper()
	var file struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatalf("rules_test.yaml: %v", err)
	}
	firing, silent = map[string]bool{}, map[string]bool{}
	for _, tc := range file.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) == 0 {
				silent[a.Alertname] = true
			} else {
				firing[a.Alertname] = true
			}
		}
	}
	return firing, silent
}
