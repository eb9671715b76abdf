package k8s_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/platform/config"
)

const composeFile = "../docker-compose.yml"

// composeImage is the locally built image every orderflow role runs.
const composeImage = imageRepo + ":dev"

// listenEnv is the variable that sets each role's listen address. In a
// container it must not be loopback (the binary's default), or nothing outside
// the container reaches it.
var listenEnv = map[string]struct {
	env  string
	port uint32
}{
	"api":      {"API_ADDR", 8080},
	"frontend": {"FRONTEND_ADDR", 3000},
	"sandbox":  {"SANDBOX_ADDR", 4010},
	"worker":   {"OPS_ADDR", 9090},
}

// published are the default ports of `make run` (docs/architecture.md), by service, as seen from the host.
var published = map[string]string{
	"api":         "8080",
	"frontend":    "3000",
	"sandbox":     "4010",
	"temporal-ui": "8233",
	"temporal":    "7233",
	"postgres":    "5432",
	"redis":       "6379",
	"kafka":       "9092",
}

// loopbackSettings are the variables whose built-in default is a loopback
// address (configDefaults): in a container that is the container itself, so
// a role that reads one must set it, to another service's address.
func loopbackSettings() map[string]bool {
	out := map[string]bool{}
	for name, v := range configDefaults {
		if strings.Contains(v, "127.0.0.1") || strings.Contains(v, "localhost") {
			out[name] = true
		}
	}
	// No default in its tag, as the temporal CLI's profiles would hide it:
	// unset, it is the SDK's localhost:7233.
	out["TEMPORAL_ADDRESS"] = true
	return out
}

// TestLoopbackSettingsFindSome keeps the checks that use them from passing
// on nothing.
func TestLoopbackSettingsFindSome(t *testing.T) {
	if len(loopbackSettings()) == 0 {
		t.Fatal("no setting has a loopback default; loopbackSettings finds nothing to check")
	}
}

// appServices names the services that run an orderflow role, sorted.
func appServices(p *types.Project) []string {
	var out []string
	for _, name := range sortedKeys(p.Services) {
		if role(p.Services[name]) != "" {
			out = append(out, name)
		}
	}
	return out
}

// isListen reports whether a variable is a listen address (listenEnv).
func isListen(name string) bool {
	for _, l := range listenEnv {
		if l.env == name {
			return true
		}
	}
	return false
}

// loadCompose loads a compose file the way `docker compose` does, with schema
// validation (unknown keys are errors) and the consistency check (undefined
// services, networks, volumes are errors), and no environment from this host.
func loadCompose(t *testing.T, path string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{path},
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithInterpolation(true),
		cli.WithConsistency(true),
		// Services behind a profile (tools) are checked too.
		cli.WithProfiles([]string{"*"}),
	)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return opts.LoadProject(ctx)
}

func command(svc types.ServiceConfig) []string {
	return append(slices.Clone([]string(svc.Entrypoint)), svc.Command...)
}

// role is the orderflow subcommand a service runs, or "" for other images.
func role(svc types.ServiceConfig) string {
	if svc.Image != composeImage || len(svc.Command) == 0 {
		return ""
	}
	return svc.Command[0]
}

func env(svc types.ServiceConfig, name string) (string, bool) {
	v, ok := svc.Environment[name]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

func healthy(svc types.ServiceConfig) bool {
	return svc.HealthCheck != nil && !svc.HealthCheck.Disable && len(svc.HealthCheck.Test) > 0
}

// dependencies walks depends_on transitively: what a service waits for and how.
func dependencies(p *types.Project, name string) map[string]string {
	out := map[string]string{}
	var walk func(string)
	walk = func(n string) {
		for dep, d := range p.Services[n].DependsOn {
			if _, seen := out[dep]; seen {
				continue
			}
			out[dep] = d.Condition
			walk(dep)
		}
	}
	walk(name)
	return out
}

type composeCheck struct {
	name string
	run  func(*types.Project) []error
}

var composeChecks = []composeCheck{
	{"depends_on", composeDependsOn},
	{"worker queues", composeWorkers},
	{"published ports", composePorts},
	{"listen addresses", composeListen},
	{"migrate", composeMigrate},
	{"readiness", composeReadiness},
	{"service addresses", composeAddresses},
	{"temporal and kafka setup", composeSetup},
	{"settings per role", composeSettings},
	{"callbacks and signatures", composeCallbacks},
}

func runComposeChecks(p *types.Project) []error {
	var errs []error
	for _, c := range composeChecks {
		for _, err := range c.run(p) {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	return errs
}

func composeDependsOn(p *types.Project) []error {
	var errs []error
	for _, name := range sortedKeys(p.Services) {
		for _, dep := range sortedKeys(p.Services[name].DependsOn) {
			target, ok := p.Services[dep]
			if !ok {
				errs = append(errs, fmt.Errorf("%s depends on undefined service %s", name, dep))
				continue
			}
			switch cond := p.Services[name].DependsOn[dep].Condition; cond {
			case types.ServiceConditionHealthy:
				// Compose refuses to start a service waiting on a health it cannot observe.
				if !healthy(target) {
					errs = append(errs, fmt.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep))
				}
			case types.ServiceConditionCompletedSuccessfully:
				// A restarting one-shot never "completes".
				if target.Restart != "" && target.Restart != types.RestartPolicyNo {
					errs = append(errs, fmt.Errorf("%s waits for %s to complete, but %s has restart: %s", name, dep, dep, target.Restart))
				}
			case types.ServiceConditionStarted:
			default:
				errs = append(errs, fmt.Errorf("%s depends on %s with condition %q", name, dep, cond))
			}
		}
	}
	return errs
}

func composeWorkers(p *types.Project) []error {
	var errs []error
	seen := map[string][]string{}
	for _, name := range sortedKeys(p.Services) {
		svc := p.Services[name]
		if role(svc) != "worker" {
			continue
		}
		queue, n := queueOf(svc.Command)
		if n != 1 {
			errs = append(errs, fmt.Errorf("%s: %d --queue flags in %v, want 1", name, n, []string(svc.Command)))
			continue
		}
		if name != "worker-"+queue {
			errs = append(errs, fmt.Errorf("%s polls queue %q; name it worker-%s", name, queue, queue))
		}
		if svc.StopGracePeriod == nil || time.Duration(*svc.StopGracePeriod) < 60*time.Second {
			errs = append(errs, fmt.Errorf("%s: stop_grace_period under 60s cuts activity draining short", name))
		}
		seen[queue] = append(seen[queue], name)
	}
	for _, q := range workerQueues {
		if len(seen[q]) != 1 {
			errs = append(errs, fmt.Errorf("queue %q is polled by %d services %v, want exactly 1", q, len(seen[q]), seen[q]))
		}
	}
	return errs
}

func composePorts(p *types.Project) []error {
	var errs []error
	for _, name := range sortedKeys(p.Services) {
		for _, port := range p.Services[name].Ports {
			if port.HostIP != "127.0.0.1" {
				errs = append(errs, fmt.Errorf("%s publishes %s:%s->%d beyond loopback; bind it to 127.0.0.1", name, port.HostIP, port.Published, port.Target))
			}
		}
	}
	for _, name := range sortedKeys(published) {
		svc, ok := p.Services[name]
		if !ok {
			errs = append(errs, fmt.Errorf("no service %s", name))
			continue
		}
		found := false
		for _, port := range svc.Ports {
			found = found || (port.HostIP == "127.0.0.1" && port.Published == published[name])
		}
		if !found {
			errs = append(errs, fmt.Errorf("%s is not published on 127.0.0.1:%s", name, published[name]))
		}
	}
	return errs
}

func composeListen(p *types.Project) []error {
	var errs []error
	for _, name := range sortedKeys(p.Services) {
		svc := p.Services[name]
		want, ok := listenEnv[role(svc)]
		if !ok {
			continue
		}
		addr, set := env(svc, want.env)
		host, port, err := net.SplitHostPort(addr)
		switch {
		case !set:
			errs = append(errs, fmt.Errorf("%s: %s unset; the binary's default is loopback, unreachable from outside the container", name, want.env))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %s=%q: %v", name, want.env, addr, err))
			continue
		case host != "" && host != "0.0.0.0" && host != "::":
			errs = append(errs, fmt.Errorf("%s: %s=%q listens on %s only, unreachable from outside the container", name, want.env, addr, host))
		case port != strconv.Itoa(int(want.port)):
			errs = append(errs, fmt.Errorf("%s: %s=%q, want port %d", name, want.env, addr, want.port))
		}
		for _, pc := range svc.Ports {
			if strconv.Itoa(int(pc.Target)) != port {
				errs = append(errs, fmt.Errorf("%s publishes container port %d but listens on %s", name, pc.Target, addr))
			}
		}
	}
	return errs
}

func composeMigrate(p *types.Project) []error {
	var errs []error
	m, ok := p.Services["migrate"]
	if !ok {
		return []error{fmt.Errorf("no migrate service")}
	}
	if role(m) != "migrate" {
		errs = append(errs, fmt.Errorf("migrate runs %v, want `orderflow migrate`", command(m)))
	}
	// The binary refuses to seed demo accounts in production.
	if roleOf(m.Command) == "migrate --seed" && effective(m, "ENVIRONMENT") != config.Development {
		errs = append(errs, fmt.Errorf("migrate runs --seed with ENVIRONMENT=%q, which refuses it; want %s", effective(m, "ENVIRONMENT"), config.Development))
	}
	// Roles that touch the schema must not start before it exists.
	for _, name := range sortedKeys(p.Services) {
		switch role(p.Services[name]) {
		case "api", "worker", "inventory-rebuild":
			if dependencies(p, name)["migrate"] != types.ServiceConditionCompletedSuccessfully {
				errs = append(errs, fmt.Errorf("%s does not wait for migrate to complete successfully", name))
			}
		}
	}
	return errs
}

// composeReadiness: every role that needs infrastructure either reports its
// own health or (transitively) waits for healthy infrastructure.
func composeReadiness(p *types.Project) []error {
	var errs []error
	for _, name := range sortedKeys(p.Services) {
		svc := p.Services[name]
		switch role(svc) {
		case "api", "frontend", "worker", "migrate", "inventory-rebuild":
		default:
			continue
		}
		if healthy(svc) {
			continue
		}
		waits := false
		for dep, cond := range dependencies(p, name) {
			waits = waits || (cond == types.ServiceConditionHealthy && role(p.Services[dep]) == "")
		}
		if !waits {
			errs = append(errs, fmt.Errorf("%s has no healthcheck and does not wait for healthy infrastructure", name))
		}
	}
	return errs
}

// composeAddresses: every address an app role is configured with names a
// service of this file, so a renamed service cannot leave a dangling host.
func composeAddresses(p *types.Project) []error {
	loopback := loopbackSettings()
	var errs []error
	for _, name := range appServices(p) {
		svc := p.Services[name]
		for _, key := range sortedKeys(loopback) {
			if isListen(key) {
				continue // composeListen
			}
			if key == "CORS_ALLOWED_ORIGINS" || key == "TEMPORAL_UI_ORIGINS" {
				continue // the browser's origins (the host's), not services
			}
			v, ok := env(svc, key)
			if !ok || v == "" {
				continue
			}
			for _, addr := range strings.Split(v, ",") {
				host := addr
				if u, err := url.Parse(addr); err == nil && u.Host != "" {
					host = u.Host
				}
				if h, _, err := net.SplitHostPort(host); err == nil {
					host = h
				}
				if _, ok := p.Services[host]; !ok {
					errs = append(errs, fmt.Errorf("%s: %s=%q points at %q, which is not a service", name, key, v, host))
				}
			}
		}
	}
	return errs
}

func composeSetup(p *types.Project) []error {
	var errs []error
	temporal := strings.Join(command(p.Services["temporal"]), " ")
	for _, sa := range []string{"OrderStatus=Keyword", "CustomerId=Keyword", "OrderTotal=Double"} {
		if !strings.Contains(temporal, "--search-attribute="+sa) {
			errs = append(errs, fmt.Errorf("temporal does not register search attribute %s", sa))
		}
	}
	topics := strings.Join(command(p.Services["kafka-init"]), " ")
	for _, topic := range []string{"orders.events", "inventory.events", "notifications.events"} {
		if !strings.Contains(topics, topic) {
			errs = append(errs, fmt.Errorf("kafka-init does not create topic %s", topic))
		}
	}
	return errs
}

// composeSettings: each role gets only settings it reads (settingsByRole:
// its settings struct's tags), and every one it reads whose default is
// loopback is set.
func composeSettings(p *types.Project) []error {
	loopback := loopbackSettings()
	var errs []error
	for _, name := range appServices(p) {
		svc := p.Services[name]
		r := roleOf(svc.Command)
		want, ok := settingsByRole[r]
		if !ok {
			errs = append(errs, fmt.Errorf("%s runs role %q, whose settings settingsByRole does not know", name, r))
			continue
		}
		for _, key := range sortedKeys(svc.Environment) {
			if !slices.Contains(want, key) {
				errs = append(errs, fmt.Errorf("%s: sets %s, which role %s does not read", name, key, r))
			}
		}
		for _, key := range want {
			if _, set := env(svc, key); !set && loopback[key] {
				errs = append(errs, fmt.Errorf("%s: role %s reads %s, whose default is loopback (the container itself); set it", name, r, key))
			}
		}
	}
	return errs
}

// effective is a service's value of a variable: its environment, else the
// binary's default.
func effective(svc types.ServiceConfig, name string) string {
	if v, ok := env(svc, name); ok {
		return v
	}
	return configDefaults[name]
}

// servicesOf names the services running a role.
func servicesOf(p *types.Project, r string) []string {
	var out []string
	for _, name := range sortedKeys(p.Services) {
		if role(p.Services[name]) != "" && roleOf(p.Services[name].Command) == r {
			out = append(out, name)
		}
	}
	return out
}

// composeCallbacks: the sandbox's callbacks reach the api and pass its
// signature checks, and the workers' requests pass the sandbox's: the roles
// on either side of each signature agree on its secret.
func composeCallbacks(p *types.Project) []error {
	var errs []error
	apis, sandboxes := servicesOf(p, "api"), servicesOf(p, "sandbox")
	notifiers := servicesOf(p, "worker notifications")
	if len(apis) != 1 || len(sandboxes) != 1 || len(notifiers) != 1 {
		return []error{fmt.Errorf("want one api, one sandbox and one notifications worker service, got %v %v %v", apis, sandboxes, notifiers)}
	}
	api, sb := p.Services[apis[0]], p.Services[sandboxes[0]]
	// Twilio signs the callback URL the worker asked for, the api verifies the
	// URL it believes it is; the sandbox posts SendGrid events there too.
	same := func(key string, names ...string) {
		vals := map[string][]string{}
		for _, n := range names {
			v := effective(p.Services[n], key)
			vals[v] = append(vals[v], n)
		}
		if len(vals) != 1 {
			errs = append(errs, fmt.Errorf("%s differs between %v; the signature made on one side fails on the other", key, vals))
		}
	}
	same("PUBLIC_API_URL", apis[0], sandboxes[0], notifiers[0])
	same("TWILIO_AUTH_TOKEN", apis[0], sandboxes[0], notifiers[0])
	same("WEBHOOK_SIGNING_SECRET", sandboxes[0], notifiers[0])

	public := effective(api, "PUBLIC_API_URL")
	if u, err := url.Parse(public); err != nil || u.Hostname() != apis[0] {
		errs = append(errs, fmt.Errorf("PUBLIC_API_URL=%q does not name the %s service; the sandbox's callbacks would not reach it", public, apis[0]))
	} else if _, port, _ := net.SplitHostPort(effective(api, "API_ADDR")); u.Port() != port {
		errs = append(errs, fmt.Errorf("PUBLIC_API_URL=%q, but the api listens on port %s", public, port))
	}
	// The providers the workers call are the sandbox.
	for _, n := range append(servicesOf(p, "worker orders"), notifiers...) {
		for _, key := range []string{"PAYMENTS_URL", "SENDGRID_BASE_URL", "TWILIO_BASE_URL", "PUSH_BASE_URL"} {
			if !slices.Contains(settingsByRole[roleOf(p.Services[n].Command)], key) {
				continue
			}
			if u, err := url.Parse(effective(p.Services[n], key)); err != nil || u.Hostname() != sandboxes[0] {
				errs = append(errs, fmt.Errorf("%s: %s=%q is not the %s service", n, key, effective(p.Services[n], key), sandboxes[0]))
			}
		}
	}

	// SendGrid's event webhook: the sandbox signs with the private key, the
	// api verifies with the public one. Unset, the sandbox makes a new pair at
	// every start, which the api cannot know.
	priv, ok := env(sb, "SANDBOX_SENDGRID_WEBHOOK_KEY")
	if !ok || priv == "" {
		return append(errs, fmt.Errorf("%s: SANDBOX_SENDGRID_WEBHOOK_KEY unset: the sandbox makes a new key pair at every start and the api refuses its events", sandboxes[0]))
	}
	// The sandbox's own parser (internal/devtools/sandbox), which RunSandbox uses.
	ec, err := sandbox.ParseEventWebhookKey(priv)
	if err != nil {
		return append(errs, fmt.Errorf("%s: SANDBOX_SENDGRID_WEBHOOK_KEY is not a base64 PKCS #8 P-256 key: %v", sandboxes[0], err))
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		return append(errs, err)
	}
	if want, got := base64.StdEncoding.EncodeToString(pubDER), effective(api, "SENDGRID_WEBHOOK_PUBLIC_KEY"); got != want {
		errs = append(errs, fmt.Errorf("%s: SENDGRID_WEBHOOK_PUBLIC_KEY=%q is not the public half of the sandbox's SANDBOX_SENDGRID_WEBHOOK_KEY (%s); the api would refuse every SendGrid event", apis[0], got, want))
	}
	return errs
}

func TestCompose(t *testing.T) {
	p, err := loadCompose(t, composeFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range runComposeChecks(p) {
		t.Error(err)
	}
}

// TestComposeChecksCatch edits a copy of docker-compose.yml in one way each and
// requires the loader or a check to object.
func TestComposeChecksCatch(t *testing.T) {
	original, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown key", "    command: [api]\n", "    command: [api]\n    restrat: always\n", "restrat"},
		{"undefined dependency", "      api:\n        condition: service_started\n", "      apii:\n        condition: service_started\n", "apii"},
		{"healthy on a service without healthcheck", "      api:\n        condition: service_started\n", "      api:\n        condition: service_healthy\n", "has no healthcheck"},
		{"queue polled twice", "command: [worker, --queue, inventory]", "command: [worker, --queue, orders]", `queue "orders" is polled by 2`},
		{"short stop grace", "    depends_on: *orderflow-deps\n    stop_grace_period: 60s\n", "    depends_on: *orderflow-deps\n    stop_grace_period: 10s\n", "stop_grace_period"},
		{"published beyond loopback", "      - 127.0.0.1:8080:8080\n", "      - 8080:8080\n", "beyond loopback"},
		{"temporal UI on another port", "      - 127.0.0.1:8233:8080\n", "      - 127.0.0.1:8088:8080\n", "temporal-ui is not published on 127.0.0.1:8233"},
		{"api listens on loopback", "API_ADDR: :8080", "API_ADDR: 127.0.0.1:8080", "unreachable from outside"},
		{"migrate does not migrate", "command: [migrate, --seed]", "command: [sandbox]", "want `orderflow migrate`"},
		{"restarting one-shot", "    command: [migrate, --seed]\n    restart: \"no\"\n", "    command: [migrate, --seed]\n", "restart: unless-stopped"},
		{"seeding in production", "  ENVIRONMENT: development\n", "  ENVIRONMENT: production\n", "migrate runs --seed with ENVIRONMENT=\"production\""},
		{"api skips migrate", "  migrate:\n    condition: service_completed_successfully\n", "", "does not wait for migrate"},
		{"dangling host", "REDIS_URL: redis://redis:6379/0", "REDIS_URL: redis://cache:6379/0", `points at "cache"`},
		{"missing search attribute", "      - --search-attribute=OrderTotal=Double\n", "", "OrderTotal=Double"},
		{"notifications worker calls back to loopback", "      <<: [*env-log, *env-development, *env-postgres, *env-redis, *env-temporal, *env-public-api]\n      OPS_ADDR: :9090\n",
			"      <<: [*env-log, *env-development, *env-postgres, *env-redis, *env-temporal]\n      OPS_ADDR: :9090\n", "worker notifications reads PUBLIC_API_URL, whose default is loopback"},
		{"push to loopback", "      PUSH_BASE_URL: http://sandbox:4010\n", "", "reads PUSH_BASE_URL, whose default is loopback"},
		{"typo in a variable", "PUSH_BASE_URL: http://sandbox:4010", "PUSH_BASE_ULR: http://sandbox:4010", "sets PUSH_BASE_ULR, which role worker notifications does not read"},
		{"setting a role does not read", "      API_ADDR: :8080\n", "      API_ADDR: :8080\n      KAFKA_BROKERS: kafka:9092\n", "sets KAFKA_BROKERS, which role api does not read"},
		{"private key on the api", "      API_ADDR: :8080\n", "      API_ADDR: :8080\n      SANDBOX_SENDGRID_WEBHOOK_KEY: x\n", "sets SANDBOX_SENDGRID_WEBHOOK_KEY, which role api does not read"},
		{"callbacks to another address", "      SANDBOX_ADDR: :4010\n", "      SANDBOX_ADDR: :4010\n      PUBLIC_API_URL: http://api:8081\n", "PUBLIC_API_URL differs"},
		{"public URL on the wrong port", "  PUBLIC_API_URL: http://api:8080\n", "  PUBLIC_API_URL: http://api:8081\n", "but the api listens on port 8080"},
		{"Twilio token mismatch", "      API_ADDR: :8080\n", "      API_ADDR: :8080\n      TWILIO_AUTH_TOKEN: othertoken\n", "TWILIO_AUTH_TOKEN differs"},
		{"payments at the real gateway", "PAYMENTS_URL: http://sandbox:4010", "PAYMENTS_URL: http://api:8080", "is not the sandbox service"},
		{"sandbox makes its own key", "      SANDBOX_SENDGRID_WEBHOOK_KEY: ", "      X_UNUSED_KEY: ", "SANDBOX_SENDGRID_WEBHOOK_KEY unset"},
		{"key pair mismatch", "SENDGRID_WEBHOOK_PUBLIC_KEY: MFkw", "SENDGRID_WEBHOOK_PUBLIC_KEY: MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEatuZLTh0299kni7tJ+tt6GiF3q2L5DwvMiGoHrMYB54dylS3RKPM6JbaV+v4WyafZvDCOX626JX4DwhQqxzvVQ== #", "is not the public half"},
		{"drift check before the schema", "      redis:\n        condition: service_healthy\n      migrate:\n        condition: service_completed_successfully\n\nvolumes:", "      redis:\n        condition: service_healthy\n\nvolumes:", "inventory-drift-check does not wait for migrate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(original), tc.old) {
				t.Fatalf("docker-compose.yml no longer contains %q; update this case", tc.old)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "docker-compose.yml")
			if err := os.WriteFile(path, []byte(strings.Replace(string(original), tc.old, tc.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := loadCompose(t, path)
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("load failed with %v, want it to mention %q", err, tc.want)
				}
				return
			}
			errs := runComposeChecks(p)
			for _, err := range errs {
				if strings.Contains(err.Error(), tc.want) {
					return
				}
			}
			t.Errorf("no check reported %q; got %v", tc.want, errs)
		})
	}
}
