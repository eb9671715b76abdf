package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/devtools/devstack"
	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
	"github.com/orderflow/orderflow/workflows"
)

// devPort is one listener of the local stack and the variable that sets it.
type devPort struct {
	name, env string
	port      int
}

// RunDev runs the whole platform on loopback (what `make run` does): the
// infrastructure, migrations and demo data, then every role as a child
// process of this binary, as each would run in its own pod. It prints where
// everything is, restarts a role that dies, and stops it all, children
// first, when ctx ends.
func RunDev(ctx context.Context, lookup config.Lookup, logger *slog.Logger) error {
	dev, err := config.Load[config.Dev](lookup)
	if err != nil {
		return err
	}
	base, err := config.Load[config.Stack](lookup)
	if err != nil {
		return err
	}
	dataDir, p := dev.DataDir, dev.DevPorts
	if dev.WorkerReplicas < 1 {
		return fmt.Errorf("DEV_WORKER_REPLICAS is %d: at least 1 replica of each worker runs", dev.WorkerReplicas)
	}
	temporalServer, err := temporalServerBinaries(dev)
	if err != nil {
		return err
	}
	workers := workerReplicas(p, dev.WorkerReplicas)
	ports := []devPort{
		{"PostgreSQL", "POSTGRES_PORT", p.PostgresPort}, {"Redis", "REDIS_PORT", p.RedisPort}, {"Kafka (kfake)", "KAFKA_PORT", p.KafkaPort},
		{"Temporal", "TEMPORAL_PORT", p.TemporalPort}, {"Temporal Web UI", "TEMPORAL_UI_PORT", p.TemporalUIPort},
		{"sandboxes", "SANDBOX_PORT", p.SandboxPort}, {"api", "API_PORT", p.APIPort}, {"frontend", "FRONTEND_PORT", p.FrontendPort},
		{"api ops", "API_OPS_PORT", p.APIOpsPort}, {"frontend ops", "FRONTEND_OPS_PORT", p.FrontendOpsPort},
		{"worker orders", "WORKER_ORDERS_PORT", p.WorkerOrdersPort}, {"worker inventory", "WORKER_INVENTORY_PORT", p.WorkerInventoryPort},
		{"worker notifications", "WORKER_NOTIFICATIONS_PORT", p.WorkerNotificationsPort},
		{"worker fulfilment", "WORKER_FULFILMENT_PORT", p.WorkerFulfilmentPort},
		{"Prometheus", "PROMETHEUS_PORT", p.PrometheusPort}, {"Jaeger UI", "JAEGER_PORT", p.JaegerPort},
		{"Jaeger OTLP/gRPC", "OTLP_GRPC_PORT", p.OTLPGRPCPort}, {"Jaeger OTLP/HTTP", "OTLP_HTTP_PORT", p.OTLPHTTPPort},
	}
	// The first replica's ports are in the list already.
	for _, w := range workers {
		if w.replica > 1 {
			ports = append(ports, devPort{w.name, w.env + " (replica n listens on it + 10*(n-1))", w.port})
		}
	}
	for _, port := range ports {
		if err := devstack.CheckPortFree(port.name, port.port, port.env); err != nil {
			return err
		}
	}

	infra, err := StartInfra(ctx, InfraOptions{
		DataDir: dataDir, TemporalCLI: dev.TemporalCLI, TemporalServer: temporalServer, Logger: logger,
		Postgres: p.PostgresPort, Redis: p.RedisPort, Kafka: p.KafkaPort, Temporal: p.TemporalPort, TemporalUI: p.TemporalUIPort,
		CodecEndpoint: fmt.Sprintf("http://127.0.0.1:%d%s", p.APIPort, api.CodecPath),
	})
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := infra.Stop(stopCtx); err != nil {
			logger.Error("stopping infrastructure", "error", err)
		}
	}()

	cfg := infra.Configure(base)
	// Go's profiles on every role's ops port: the local stack is where
	// load is measured and a bottleneck looked into.
	cfg.Pprof = true
	loop := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	cfg.SandboxAddr = loop(p.SandboxPort)
	cfg.SandboxStateFile = filepath.Join(dataDir, "sandbox-payments.json")
	cfg.PaymentsURL = "http://" + cfg.SandboxAddr
	cfg.CarrierURL = "http://" + cfg.SandboxAddr
	cfg.SendGridBaseURL = "http://" + cfg.SandboxAddr
	cfg.TwilioBaseURL = "http://" + cfg.SandboxAddr
	cfg.PushBaseURL = "http://" + cfg.SandboxAddr
	// Webhooks to the sandbox's receiver, on loopback, which only the local
	// stack allows (WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8,::1/128).
	cfg.WebhookAllowedNetworks = append(cfg.WebhookAllowedNetworks, safehttp.LoopbackNetworks()...)
	cfg.APIAddr = loop(p.APIPort)
	cfg.APIURL = "http://" + cfg.APIAddr
	cfg.PublicAPIURL = cfg.APIURL
	// The sandbox signs SendGrid events with a key pair made for this run;
	// the API verifies them with its public half.
	cfg.SandboxSendGridWebhookKey, cfg.SendGridWebhookPublicKey = sandbox.NewEventWebhookKey()
	// Web Push signs with a VAPID key pair made for this run, unless the
	// environment names one (a browser keeps its subscription across runs).
	if cfg.VAPIDPrivateKey == config.Defaults[config.WebPushSigning]().VAPIDPrivateKey {
		cfg.VAPIDPublicKey, cfg.VAPIDPrivateKey = config.NewVAPIDKeys()
	}
	cfg.FrontendAddr = loop(p.FrontendPort)
	cfg.TemporalUIURL = infra.Temporal.UIURL() + "/namespaces/" + infra.Temporal.Namespace()
	// The Web UI decodes payloads through the api's codec server.
	cfg.TemporalUIOrigins = config.Origins{infra.Temporal.UIURL(), fmt.Sprintf("http://localhost:%d", p.TemporalUIPort)}

	seed, err := config.From[config.Seed](cfg)
	if err != nil {
		return err
	}
	if err := Seed(ctx, seed, logger); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Observed roles are scraped by Prometheus, job label their job, and
	// send traces to Jaeger as orderflow-<job>; the sandbox stands in for
	// third parties, so it is neither.
	// ops is where a role answers its probes and serves its metrics: its
	// OPS_ADDR (the sandbox has no other port than its public one). A
	// worker's replicas share its job (the role), so dashboards and alerts
	// cover them all; the name tells the processes apart.
	type role struct {
		name, job, ops string
		args           []string
		observed       bool
	}
	roles := []role{
		{"sandbox", "sandbox", cfg.SandboxAddr, []string{"sandbox"}, false},
		{"api", "api", loop(p.APIOpsPort), []string{"api"}, true},
	}
	for _, w := range workers {
		roles = append(roles, role{w.name, w.role, loop(w.port), []string{"worker", "--queue", w.queue}, true})
	}
	roles = append(roles, role{"frontend", "frontend", loop(p.FrontendOpsPort), []string{"frontend"}, true})
	jobs := []devstack.ScrapeJob{{Job: "temporal", URL: infra.TemporalMetricsURL}}
	for _, r := range roles {
		if r.observed {
			jobs = append(jobs, devstack.ScrapeJob{Job: r.job, URL: "http://" + r.ops + "/metrics"})
		}
	}
	// Started before the roles, which need Jaeger's address; stopped after
	// them (defers run in reverse), so their last spans reach it.
	obs := startObservability(ctx, dev, jobs, logger)
	cfg.TracesQueryURL = obs.tracesQueryURL()
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := obs.stop(stopCtx); err != nil {
			logger.Error("stopping Prometheus and Jaeger", "error", err)
		}
	}()
	procs := make([]*devstack.Process, len(roles))
	defer func() {
		// Children first, in reverse: the frontend, then workers drain, then the API.
		for i := len(procs) - 1; i >= 0; i-- {
			if procs[i] == nil {
				continue
			}
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := procs[i].Stop(stopCtx); err != nil {
				logger.Error("stopping role", "error", err)
			}
			cancel()
		}
	}()
	exited := make(chan int)
	start := func(i int) error {
		r := roles[i]
		env := append(os.Environ(), config.Environ(cfg)...)
		env = append(env, "OPS_ADDR="+r.ops)
		if r.observed {
			env = append(env, obs.otelEnv(r.job)...)
			// Traces of one replica are told apart by the standard
			// resource attribute.
			env = append(env, "OTEL_RESOURCE_ATTRIBUTES=service.instance.id="+r.name)
		}
		p, err := devstack.StartProcess(ctx, devstack.ProcessSpec{
			Name: r.name, Path: self, Args: r.args, Env: env,
			LogPath: filepath.Join(dataDir, "logs", r.name+".log"),
		}, logger, devstack.HTTPReady("http://"+r.ops+"/readyz"))
		if err != nil {
			return err
		}
		procs[i] = p
		go func() {
			<-p.Done()
			select {
			case exited <- i:
			case <-ctx.Done():
			}
		}()
		return nil
	}
	for i := range roles {
		if err := start(i); err != nil {
			return err
		}
	}
	// What runs, for the load generator (devstack.ProcessesFile): written
	// now, again whenever a role restarts, removed first on the way out.
	writeProcesses := func() {
		l := infra.Processes()
		if obs.prometheus != nil {
			l = append(l, devstack.ProcessEntry{Name: "prometheus", PID: obs.prometheus.PID()})
		}
		if obs.jaeger != nil {
			l = append(l, devstack.ProcessEntry{Name: "jaeger", PID: obs.jaeger.PID()})
		}
		for i, proc := range procs {
			l = append(l, devstack.ProcessEntry{Name: roles[i].name, PID: proc.PID()})
		}
		l = append(l, devstack.ProcessEntry{Name: "dev", PID: os.Getpid()})
		if err := devstack.WriteProcesses(dataDir, l); err != nil {
			logger.Warn("the process list is not up to date", "error", err)
		}
	}
	writeProcesses()
	defer func() {
		if err := devstack.RemoveProcesses(dataDir); err != nil {
			logger.Warn("removing the process list", "error", err)
		}
	}()

	var ops []opsAddr
	for _, r := range roles {
		if r.observed {
			ops = append(ops, opsAddr{r.name, r.ops})
		}
	}
	printTable(os.Stdout, cfg, infra, obs, ops, p, dataDir)

	// A role that dies is started again, as Kubernetes restarts a pod, so a
	// worker killed mid-order shows the order completing once it is back.
	// One that keeps dying is restarted ever later (CrashLoopBackOff), while
	// the rest of the stack runs on.
	backoff := map[int]*crashBackoff{}
	restart := make(chan int)
	for {
		select {
		case <-ctx.Done():
			logger.Info("stopping the local stack")
			return nil
		case i := <-exited:
			name, log := roles[i].name, filepath.Join(dataDir, "logs", roles[i].name+".log")
			if backoff[i] == nil {
				backoff[i] = &crashBackoff{}
			}
			delay := backoff[i].next(time.Now())
			logger.Warn("role exited; starting it again", "role", name, "in", delay.String(), "log", log)
			go func() {
				select {
				case <-time.After(delay):
					restart <- i
				case <-ctx.Done():
				}
			}()
		case i := <-restart:
			if err := start(i); err != nil {
				logger.Error("role did not start; trying again later", "role", roles[i].name, "error", err)
				go func() { exited <- i }()
				continue
			}
			writeProcesses()
		}
	}
}

// workerReplica is one process of a worker role.
type workerReplica struct {
	role, name, queue string
	env               string // the variable that sets the role's base port
	replica, port     int    // 1-based; the ops port
}

// workerReplicas lists n replicas of each worker role. Replica r listens on
// the role's port + 10*(r-1), clear of the other roles' ports (9100-9104 by
// default); with one replica the names are the roles' own.
func workerReplicas(p config.DevPorts, n int) []workerReplica {
	var out []workerReplica
	for _, w := range []struct {
		role, queue, env string
		port             int
	}{
		{"worker-orders", workflows.OrdersTaskQueue, "WORKER_ORDERS_PORT", p.WorkerOrdersPort},
		{"worker-inventory", workflows.InventoryTaskQueue, "WORKER_INVENTORY_PORT", p.WorkerInventoryPort},
		{"worker-notifications", workflows.NotificationsTaskQueue, "WORKER_NOTIFICATIONS_PORT", p.WorkerNotificationsPort},
		{"worker-fulfilment", workflows.FulfilmentTaskQueue, "WORKER_FULFILMENT_PORT", p.WorkerFulfilmentPort},
	} {
		for r := 1; r <= n; r++ {
			name := w.role
			if n > 1 {
				name = fmt.Sprintf("%s-%d", w.role, r)
			}
			out = append(out, workerReplica{role: w.role, name: name, queue: w.queue, env: w.env, replica: r, port: w.port + 10*(r-1)})
		}
	}
	return out
}

// temporalServerBinaries reads TEMPORAL_MODE: nil runs the dev server.
func temporalServerBinaries(dev config.Dev) (*TemporalServerBinaries, error) {
	switch dev.TemporalMode {
	case "dev":
		return nil, nil
	case "server":
		if dev.TemporalHistoryShards < 1 {
			return nil, fmt.Errorf("TEMPORAL_HISTORY_SHARDS is %d: the server needs at least 1", dev.TemporalHistoryShards)
		}
		return &TemporalServerBinaries{
			Server: dev.TemporalServer, SQLTool: dev.TemporalSQLTool, UIServer: dev.TemporalUIServer,
			HistoryShards: dev.TemporalHistoryShards,
		}, nil
	}
	return nil, fmt.Errorf("TEMPORAL_MODE is %q: want dev (the CLI's dev server) or server (the Temporal server on PostgreSQL)", dev.TemporalMode)
}

// crashBackoff spaces the restarts of a role that keeps dying as the
// kubelet does: at once the first time, then 10 s, doubling up to 5 minutes,
// and back to at once after a run of 10 minutes.
type crashBackoff struct {
	delay    time.Duration
	lastExit time.Time
}

const (
	crashBackoffFirst = 10 * time.Second
	crashBackoffMax   = 5 * time.Minute
	crashBackoffReset = 10 * time.Minute
)

// next is the wait before restarting a role that exited at now.
func (b *crashBackoff) next(now time.Time) time.Duration {
	if b.lastExit.IsZero() || now.Sub(b.lastExit) > b.delay+crashBackoffReset {
		b.delay = 0
	} else {
		b.delay = min(max(2*b.delay, crashBackoffFirst), crashBackoffMax)
	}
	b.lastExit = now
	return b.delay
}

// opsAddr is where a role process serves its metrics and probes.
type opsAddr struct{ name, addr string }

func printTable(w io.Writer, cfg config.Stack, infra *Infra, obs *observability, ops []opsAddr, ports config.DevPorts, dataDir string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "\norderflow is running. Ctrl-C stops everything.\n\n")
	fmt.Fprintln(tw, "WHAT\tWHERE")
	fmt.Fprintf(tw, "dashboard\thttp://%s/\n", cfg.FrontendAddr)
	fmt.Fprintf(tw, "REST API\thttp://%s/api/orders\n", cfg.APIAddr)
	fmt.Fprintf(tw, "Temporal Web UI\t%s\n", infra.Temporal.UIURL())
	fmt.Fprintf(tw, "Temporal frontend\t%s (bin/temporal --address %s ...)\n", cfg.TemporalAddress, cfg.TemporalAddress)
	fmt.Fprintf(tw, "PostgreSQL\tpostgres://orderflow:***@127.0.0.1:%d/orderflow\n", ports.PostgresPort)
	fmt.Fprintf(tw, "Redis\t%s\n", cfg.RedisURL)
	fmt.Fprintf(tw, "Kafka (kfake)\t%s\n", strings.Join(cfg.KafkaBrokers, ","))
	fmt.Fprintf(tw, "sandboxes\thttp://%s/_sandbox/messages  (payments, SendGrid, Twilio, carrier)\n", cfg.SandboxAddr)
	for _, o := range ops {
		fmt.Fprintf(tw, "%s ops\thttp://%s/metrics  (/healthz, /readyz)\n", o.name, o.addr)
	}
	if obs.prometheus != nil {
		fmt.Fprintf(tw, "Prometheus\t%s/targets  (every role, Temporal, the alert rules)\n", obs.prometheus.URL())
	} else {
		fmt.Fprintf(tw, "Prometheus\tnot running: %v\n", obs.prometheusErr)
	}
	// Built from the Go module, Jaeger's web UI is a placeholder page
	// (devstack.Jaeger.UIURL): the row points at the query API.
	if obs.jaeger != nil {
		fmt.Fprintf(tw, "Jaeger (traces)\t%s/api/traces?service=orderflow-api  (OTLP in: grpc %s, http %s)\n",
			obs.jaeger.UIURL(), obs.jaeger.OTLPGRPCAddr(), obs.jaeger.OTLPHTTPEndpoint())
	} else {
		fmt.Fprintf(tw, "Jaeger (traces)\tnot running: %v\n", obs.jaegerErr)
	}
	fmt.Fprintf(tw, "logs\t%s/\n", filepath.Join(dataDir, "logs"))
	// Development accounts on a loopback-only stack: printed so the first
	// sign-in needs no digging.
	fmt.Fprint(tw, "\nDEMO ACCOUNT\tEMAIL\tPASSWORD\n")
	fmt.Fprintf(tw, "admin\t%s\t%s\n", cfg.AdminEmail, cfg.AdminPassword)
	fmt.Fprintf(tw, "customer\t%s\t%s\n", cfg.DemoCustomerEmail, cfg.DemoCustomerPassword)
	fmt.Fprintf(tw, "\ntry:\tTOKEN=$(curl -s %s/api/auth/login -d '{\"email\":\"%s\",\"password\":\"%s\"}' | jq -r .access_token)\n",
		cfg.APIURL, cfg.DemoCustomerEmail, cfg.DemoCustomerPassword)
	fmt.Fprintf(tw, "\tcurl -XPOST %s/api/orders -H \"Authorization: Bearer $TOKEN\" -H 'Idempotency-Key: k1' -d '{\"items\":[{\"sku\":\"TSHIRT-BLK-M\",\"quantity\":2}],\"payment\":{\"token\":\"tok_visa\"}}'\n", cfg.APIURL)
	tw.Flush()
}
