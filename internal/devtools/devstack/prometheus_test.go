package devstack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func TestPrometheusConfigScrapesEveryJobAndLoadsTheRules(t *testing.T) {
	b, err := prometheusConfig([]ScrapeJob{
		{Job: "api", URL: "http://127.0.0.1:8080/metrics"},
		{Job: "temporal", URL: "http://127.0.0.1:40123/metrics"},
	}, []string{"/data/prometheus/rules.yaml"})
	require.NoError(t, err)

	var c struct {
		Global        map[string]string `json:"global"`
		RuleFiles     []string          `json:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			Scheme        string `json:"scheme"`
			MetricsPath   string `json:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	require.NoError(t, yaml.UnmarshalStrict(b, &c), "%s", b)
	require.Equal(t, "5s", c.Global["scrape_interval"], "a developer sees figures within seconds")
	require.Equal(t, []string{"/data/prometheus/rules.yaml"}, c.RuleFiles)
	require.Len(t, c.ScrapeConfigs, 2)
	for i, want := range []struct{ job, target string }{{"api", "127.0.0.1:8080"}, {"temporal", "127.0.0.1:40123"}} {
		sc := c.ScrapeConfigs[i]
		require.Equal(t, want.job, sc.JobName)
		require.Equal(t, "http", sc.Scheme)
		require.Equal(t, "/metrics", sc.MetricsPath)
		require.Len(t, sc.StaticConfigs, 1)
		require.Equal(t, []string{want.target}, sc.StaticConfigs[0].Targets)
	}
}

// A role's replicas are one job with a target each: dashboards and alerts
// that select job="worker-orders" cover them all.
func TestPrometheusConfigGroupsReplicasIntoOneJob(t *testing.T) {
	b, err := prometheusConfig([]ScrapeJob{
		{Job: "worker-orders", URL: "http://127.0.0.1:9101/metrics"},
		{Job: "worker-orders", URL: "http://127.0.0.1:9111/metrics"},
	}, nil)
	require.NoError(t, err)
	var c struct {
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(b, &c), "%s", b)
	require.Len(t, c.ScrapeConfigs, 1)
	require.Equal(t, "worker-orders", c.ScrapeConfigs[0].JobName)
	require.Equal(t, []string{"127.0.0.1:9101", "127.0.0.1:9111"}, c.ScrapeConfigs[0].StaticConfigs[0].Targets)
}

func TestPrometheusConfigRefusesATargetThatIsNoURL(t *testing.T) {
	_, err := prometheusConfig([]ScrapeJob{{Job: "api", URL: "127.0.0.1:8080"}}, nil)
	require.ErrorContains(t, err, "scrape job api")
}

// The real server: it starts from the generated files, evaluates the rule
// file, and scrapes its target under the job's name.
func TestPrometheusScrapesItsJobsAndLoadsTheRules(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "orderflow_test_up 1")
	}))
	defer target.Close()
	rules := []byte(`groups:
  - name: test
    rules:
      - alert: TestAlwaysFiring
        expr: vector(1)
`)
	dir := filepath.Join(t.TempDir(), "prometheus")
	p, err := StartPrometheus(ctx, PrometheusOptions{
		DataDir: dir,
		Jobs:    []ScrapeJob{{Job: "api", URL: target.URL + "/metrics"}},
		Rules:   rules,
		Logger:  testLogger(t),
	})
	require.NoError(t, err)
	stopOnCleanup(t, p.Stop)
	require.NoError(t, HTTPReady(p.URL()+"/-/ready")(ctx))
	require.FileExists(t, filepath.Join(dir, "prometheus.yml"))
	written, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	require.NoError(t, err)
	require.Equal(t, rules, written)

	var loaded struct {
		Data struct {
			Groups []struct {
				Name string `json:"name"`
			} `json:"groups"`
		} `json:"data"`
	}
	getJSON(t, p.URL()+"/api/v1/rules", &loaded)
	require.Len(t, loaded.Data.Groups, 1)
	require.Equal(t, "test", loaded.Data.Groups[0].Name)

	// The first scrape comes within one interval of the start.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var targets struct {
			Data struct {
				ActiveTargets []struct {
					Labels map[string]string `json:"labels"`
					Health string            `json:"health"`
				} `json:"activeTargets"`
			} `json:"data"`
		}
		getJSON(c, p.URL()+"/api/v1/targets", &targets)
		active := targets.Data.ActiveTargets
		require.Len(c, active, 1)
		require.Equal(c, "api", active[0].Labels["job"])
		require.Equal(c, "up", active[0].Health)
	}, 3*scrapeInterval, 100*time.Millisecond)
}

// getJSON decodes url's answer into v; t may be an EventuallyWithT's.
func getJSON(t require.TestingT, url string, v any) {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}
