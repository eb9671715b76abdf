package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

// scrapeInterval is short so that a developer sees figures within seconds of
// `make run`; production scrapes every 30 s or so.
const scrapeInterval = 5 * time.Second

// PrometheusOptions configures StartPrometheus.
type PrometheusOptions struct {
	// DataDir holds the generated configuration, the rule file and the TSDB,
	// so series survive a restart. Created if missing.
	DataDir string
	// Port on 127.0.0.1 for the web UI and API; 0 picks a free one.
	Port int
	// Jobs are what it scrapes, one target each; the targets of jobs that
	// share a name (a role's replicas) form one job, told apart by their
	// instance label (host:port).
	Jobs []ScrapeJob
	// Rules is a Prometheus rule file (alerts, recording rules) to evaluate;
	// nil loads none.
	Rules []byte
	// LogFile receives the server's output; "" means DataDir/prometheus.log.
	LogFile string
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
}

// ScrapeJob is one scrape target and the job label of its series.
type ScrapeJob struct {
	Job string // "api"
	URL string // "http://127.0.0.1:9100/metrics"
}

// Prometheus is a Prometheus server child process listening on loopback.
type Prometheus struct {
	port    int
	process *child
}

// StartPrometheus writes the configuration for o.Jobs and o.Rules into
// o.DataDir, runs Prometheus (installing the Debian package first when it is
// missing and we are root) and returns once it is ready.
func StartPrometheus(ctx context.Context, o PrometheusOptions) (*Prometheus, error) {
	logger := loggerOrDefault(o.Logger)
	binary, _, err := InstallPrometheus(ctx, logger)
	if err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("prometheus data directory: %w", err)
	}
	port, err := portOrFree(o.Port)
	if err != nil {
		return nil, err
	}
	var ruleFiles []string
	if o.Rules != nil {
		ruleFile := filepath.Join(dataDir, "rules.yaml")
		if err := os.WriteFile(ruleFile, o.Rules, 0o644); err != nil {
			return nil, fmt.Errorf("prometheus rule file: %w", err)
		}
		ruleFiles = append(ruleFiles, ruleFile)
	}
	config, err := prometheusConfig(o.Jobs, ruleFiles)
	if err != nil {
		return nil, err
	}
	configFile := filepath.Join(dataDir, "prometheus.yml")
	if err := os.WriteFile(configFile, config, 0o644); err != nil {
		return nil, fmt.Errorf("prometheus configuration: %w", err)
	}
	logFile := o.LogFile
	if logFile == "" {
		logFile = filepath.Join(dataDir, "prometheus.log")
	}
	spec := childSpec{
		name: "Prometheus",
		path: binary,
		args: []string{
			"--config.file=" + configFile,
			"--storage.tsdb.path=" + filepath.Join(dataDir, "tsdb"),
			"--web.listen-address=" + loopback(port),
		},
		logPath:    logFile,
		stopSignal: syscall.SIGTERM, // flushes the head block's WAL, then exits
	}
	p := &Prometheus{port: port}
	if p.process, err = startChild(ctx, spec, logger, HTTPReady(p.URL()+"/-/ready")); err != nil {
		return nil, err
	}
	logger.Info("Prometheus ready", "url", p.URL())
	return p, nil
}

// URL is the web UI's and the HTTP API's address.
func (p *Prometheus) URL() string { return "http://" + loopback(p.port) }

// PID is the server's process id, for ProcessesFile.
func (p *Prometheus) PID() int { return p.process.pid() }

// Stop shuts Prometheus down and waits for it; if ctx ends first, or after
// 20 s, the server is killed. Calling it again does nothing.
func (p *Prometheus) Stop(ctx context.Context) error {
	return p.process.stop(ctx)
}

// The parts of Prometheus's configuration file that the local stack sets.
type (
	promConfig struct {
		Global struct {
			ScrapeInterval     string `json:"scrape_interval"`
			EvaluationInterval string `json:"evaluation_interval"`
		} `json:"global"`
		RuleFiles     []string       `json:"rule_files,omitempty"`
		ScrapeConfigs []scrapeConfig `json:"scrape_configs"`
	}
	scrapeConfig struct {
		JobName       string         `json:"job_name"`
		Scheme        string         `json:"scheme"`
		MetricsPath   string         `json:"metrics_path"`
		StaticConfigs []staticConfig `json:"static_configs"`
	}
	staticConfig struct {
		Targets []string `json:"targets"`
	}
)

// prometheusConfig is the configuration file that scrapes jobs and
// evaluates ruleFiles.
func prometheusConfig(jobs []ScrapeJob, ruleFiles []string) ([]byte, error) {
	var c promConfig
	c.Global.ScrapeInterval = scrapeInterval.String()
	c.Global.EvaluationInterval = scrapeInterval.String()
	c.RuleFiles = ruleFiles
	for _, j := range jobs {
		u, err := url.Parse(j.URL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("prometheus: scrape job %s: %q is no http URL", j.Job, j.URL)
		}
		if i := slices.IndexFunc(c.ScrapeConfigs, func(s scrapeConfig) bool { return s.JobName == j.Job }); i >= 0 {
			if s := &c.ScrapeConfigs[i]; s.Scheme == u.Scheme && s.MetricsPath == u.Path {
				s.StaticConfigs[0].Targets = append(s.StaticConfigs[0].Targets, u.Host)
				continue
			}
			return nil, fmt.Errorf("prometheus: scrape job %s: %s differs from the job's other targets in scheme or path", j.Job, j.URL)
		}
		c.ScrapeConfigs = append(c.ScrapeConfigs, scrapeConfig{
			JobName: j.Job, Scheme: u.Scheme, MetricsPath: u.Path,
			StaticConfigs: []staticConfig{{Targets: []string{u.Host}}},
		})
	}
	return yaml.Marshal(c)
}
