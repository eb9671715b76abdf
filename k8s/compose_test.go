package k8s_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"sigs.k8s.io/yaml"

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
	{"temporal server", composeTemporal},
	{"healthchecks", composeHealthchecks},
	{"pinned images", composePinned},
	{"startup order", composeStartupOrder},
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
			switch key {
			case "CORS_ALLOWED_ORIGINS", "TEMPORAL_UI_ORIGINS", "TEMPORAL_UI_URL", "TRACE_UI_URL":
				continue // the browser's origins and links (the host's), not services
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

// The services that set Temporal up, by name: the server, its schema job and
// the job that creates the namespace and the search attributes.
const (
	temporalService      = "temporal"
	temporalSchemaJob    = "temporal-schema"
	temporalSetupJob     = "temporal-setup"
	temporalServerImage  = "temporalio/server"
	temporalAdminImage   = "temporalio/admin-tools"
	temporalSchemaDir    = "/etc/temporal/schema/postgresql/v12"
	temporalSQLPlugin    = "postgres12"
	appInfraFile         = "../internal/app/infra.go"
	workflowsPackageDir  = "../workflows"
	searchAttributesName = "searchAttributes"
)

// codeSearchAttributes reads the custom search attributes OrderWorkflow
// sets, name -> type, from internal/app/infra.go's searchAttributes (the map
// the dev stack registers), resolving the workflows.SearchAttr* constants in
// workflows/: compose must register the same ones.
func codeSearchAttributes() (map[string]string, error) {
	fset := token.NewFileSet()
	consts := map[string]string{}
	pkgs, err := parser.ParseDir(fset, workflowsPackageDir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		return nil, err
	}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, spec := range g.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								consts[n.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
			}
		}
	}
	f, err := parser.ParseFile(fset, appInfraFile, nil, 0)
	if err != nil {
		return nil, err
	}
	str := func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			v, err := strconv.Unquote(e.Value)
			return v, err == nil
		case *ast.SelectorExpr:
			v, ok := consts[e.Sel.Name]
			return v, ok
		}
		return "", false
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != searchAttributesName || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return false
		}
		for _, el := range lit.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			k, kok := str(kv.Key)
			v, vok := str(kv.Value)
			if kok && vok {
				out[k] = v
			}
		}
		return false
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s map found in %s", searchAttributesName, appInfraFile)
	}
	return out, nil
}

func composeSetup(p *types.Project) []error {
	var errs []error
	attrs, err := codeSearchAttributes()
	if err != nil {
		return []error{err}
	}
	setup, ok := p.Services[temporalSetupJob]
	if !ok {
		return []error{fmt.Errorf("no %s service (the namespace and search attributes)", temporalSetupJob)}
	}
	script := strings.Join(strings.Fields(strings.ReplaceAll(strings.Join(command(setup), " "), "\\\n", " ")), " ")
	for _, name := range sortedKeys(attrs) {
		if !strings.Contains(script, "--name "+name+" --type "+attrs[name]) {
			errs = append(errs, fmt.Errorf("%s does not create search attribute %s (%s), which OrderWorkflow sets (%s)", temporalSetupJob, name, attrs[name], appInfraFile))
		}
	}
	for _, want := range []string{"temporal operator namespace create", "temporal operator search-attribute create"} {
		if !strings.Contains(script, want) {
			errs = append(errs, fmt.Errorf("%s does not run %q", temporalSetupJob, want))
		}
	}
	// The namespace it creates is the one every role uses.
	ns, _ := env(setup, "TEMPORAL_NAMESPACE")
	for _, name := range appServices(p) {
		svc := p.Services[name]
		if !slices.Contains(settingsByRole[roleOf(svc.Command)], "TEMPORAL_NAMESPACE") {
			continue
		}
		if got := effective(svc, "TEMPORAL_NAMESPACE"); got != ns {
			errs = append(errs, fmt.Errorf("%s: TEMPORAL_NAMESPACE=%q, but %s creates namespace %q", name, got, temporalSetupJob, ns))
		}
	}
	if addr, _ := env(setup, "TEMPORAL_ADDRESS"); hostOf(addr) != temporalService {
		errs = append(errs, fmt.Errorf("%s: TEMPORAL_ADDRESS=%q is not the %s service", temporalSetupJob, addr, temporalService))
	}

	topics := strings.Join(command(p.Services["kafka-init"]), " ")
	for _, topic := range []string{"orders.events", "inventory.events", "notifications.events"} {
		if !strings.Contains(topics, topic) {
			errs = append(errs, fmt.Errorf("kafka-init does not create topic %s", topic))
		}
	}
	return errs
}

// hostOf is the host of an address: a URL, host:port, or a bare host.
func hostOf(addr string) string {
	host := addr
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host
}

// imageTag splits an image reference into repository and tag ("" if none;
// a digest reference is returned as its digest).
func imageTag(image string) (repo, tag string) {
	if r, digest, ok := strings.Cut(image, "@"); ok {
		return r, digest
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i], image[i+1:]
	}
	return image, ""
}

// composeTemporal: a real Temporal server (not the dev server, not the
// deprecated auto-setup) on PostgreSQL, the Helm chart's version, started
// after its schema job, and the roles pointed at it.
func composeTemporal(p *types.Project) []error {
	var errs []error
	server, ok := p.Services[temporalService]
	if !ok {
		return []error{fmt.Errorf("no %s service", temporalService)}
	}
	repo, tag := imageTag(server.Image)
	if repo != temporalServerImage {
		errs = append(errs, fmt.Errorf("%s runs %s, want %s (a real server, as in production; not the dev server or auto-setup)", temporalService, server.Image, temporalServerImage))
	}
	var values map[string]any
	if data, err := os.ReadFile(helmValuesFile); err != nil {
		errs = append(errs, err)
	} else if err := yaml.Unmarshal(data, &values); err != nil {
		errs = append(errs, err)
	} else if helm := fmt.Sprint(dig(values, "server", "image", "tag")); helm != tag {
		errs = append(errs, fmt.Errorf("%s runs server %s, the Helm values %s: development and production should run the same engine", temporalService, tag, helm))
	}
	// The admin tools (schema files, CLI) match the server's version.
	for _, name := range []string{temporalSchemaJob, temporalSetupJob} {
		r, t := imageTag(p.Services[name].Image)
		if r != temporalAdminImage || (t != tag && !strings.HasPrefix(t, tag+"-")) {
			errs = append(errs, fmt.Errorf("%s runs %s, want %s:%s (the server's version)", name, p.Services[name].Image, temporalAdminImage, tag))
		}
	}

	// Persistence: PostgreSQL, through the image's environment.
	if db, _ := env(server, "DB"); db != temporalSQLPlugin {
		errs = append(errs, fmt.Errorf("%s: DB=%q, want %s", temporalService, db, temporalSQLPlugin))
	}
	seeds, _ := env(server, "POSTGRES_SEEDS")
	if _, ok := p.Services[seeds]; !ok {
		errs = append(errs, fmt.Errorf("%s: POSTGRES_SEEDS=%q is not a service", temporalService, seeds))
	}
	if dependencies(p, temporalService)[temporalSchemaJob] != types.ServiceConditionCompletedSuccessfully {
		errs = append(errs, fmt.Errorf("%s does not wait for %s to complete successfully", temporalService, temporalSchemaJob))
	}

	// The schema job sets up both databases the server reads, on the same
	// database server, with the same plugin.
	schema := p.Services[temporalSchemaJob]
	if h, _ := env(schema, "SQL_HOST"); h != seeds {
		errs = append(errs, fmt.Errorf("%s: SQL_HOST=%q, but %s reads POSTGRES_SEEDS=%q", temporalSchemaJob, h, temporalService, seeds))
	}
	if pl, _ := env(schema, "SQL_PLUGIN"); pl != temporalSQLPlugin {
		errs = append(errs, fmt.Errorf("%s: SQL_PLUGIN=%q, want %s", temporalSchemaJob, pl, temporalSQLPlugin))
	}
	script := strings.ReplaceAll(strings.Join(command(schema), " "), `"$schema`, `"`+temporalSchemaDir)
	for _, store := range []struct{ env, def, dir string }{{"DBNAME", "temporal", "temporal"}, {"VISIBILITY_DBNAME", "temporal_visibility", "visibility"}} {
		db, ok := env(server, store.env)
		if !ok {
			db = store.def
		}
		for _, want := range []string{
			"--db " + db + " setup-schema -v 0.0",
			"--db " + db + ` update-schema -d "` + temporalSchemaDir + "/" + store.dir + `/versioned"`,
		} {
			if !strings.Contains(script, want) {
				errs = append(errs, fmt.Errorf("%s does not run %q for %s", temporalSchemaJob, want, db))
			}
		}
	}

	// Every role that talks to Temporal talks to this server.
	for _, name := range appServices(p) {
		svc := p.Services[name]
		if !slices.Contains(settingsByRole[roleOf(svc.Command)], "TEMPORAL_ADDRESS") {
			continue
		}
		addr := effective(svc, "TEMPORAL_ADDRESS")
		if _, port, _ := net.SplitHostPort(addr); hostOf(addr) != temporalService || port != "7233" {
			errs = append(errs, fmt.Errorf("%s: TEMPORAL_ADDRESS=%q, want %s:7233", name, addr, temporalService))
		}
	}
	return errs
}

// longRunning reports whether a service stays up (an app role other than a
// one-shot like migrate or the drift check).
func longRunning(svc types.ServiceConfig) bool {
	return svc.Restart != types.RestartPolicyNo
}

// opsAddrEnv is the variable holding the address of a role's /readyz: its
// ops port, or for a role without one (the sandbox) its listen address.
func opsAddrEnv(r string) string {
	if slices.Contains(settingsByRole[r], "OPS_ADDR") {
		return "OPS_ADDR"
	}
	return listenEnv[strings.Fields(r)[0]].env
}

// composeHealthchecks: every long-running app role reports its readiness,
// through `orderflow healthcheck` (the image has no shell or curl) against
// its own /readyz, in the container, on the port it serves it on.
func composeHealthchecks(p *types.Project) []error {
	var errs []error
	for _, name := range appServices(p) {
		svc := p.Services[name]
		if !longRunning(svc) {
			continue
		}
		if !healthy(svc) {
			errs = append(errs, fmt.Errorf("%s has no `orderflow healthcheck` healthcheck", name))
			continue
		}
		test := []string(svc.HealthCheck.Test)
		if len(test) != 4 || test[0] != "CMD" || test[1] != "/orderflow" || test[2] != "healthcheck" {
			errs = append(errs, fmt.Errorf("%s: healthcheck %q, want [CMD, /orderflow, healthcheck, http://127.0.0.1:PORT/readyz]", name, test))
			continue
		}
		r := roleOf(svc.Command)
		key := opsAddrEnv(r)
		_, port, _ := net.SplitHostPort(effective(svc, key))
		u, err := url.Parse(test[3])
		switch {
		case err != nil || u.Scheme != "http" || u.Path != "/readyz":
			errs = append(errs, fmt.Errorf("%s: healthcheck probes %q, want http://127.0.0.1:%s/readyz", name, test[3], port))
		case u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost":
			errs = append(errs, fmt.Errorf("%s: healthcheck probes %q, not the container itself", name, test[3]))
		case u.Port() != port:
			errs = append(errs, fmt.Errorf("%s: healthcheck probes port %s, but the role serves /readyz on %s=%q", name, u.Port(), key, effective(svc, key)))
		}
		if hc := svc.HealthCheck; hc.Timeout != nil && time.Duration(*hc.Timeout) < 3*time.Second {
			errs = append(errs, fmt.Errorf("%s: healthcheck timeout %v is under the 3 s orderflow healthcheck waits", name, time.Duration(*hc.Timeout)))
		}
	}
	return errs
}

// pinnedTag is a tag with at least major.minor: "16.10", "3.9.1",
// "1.29.1-tctl-1.18.4-cli-1.5.0", "v0.20.1"; not "16", "7", "latest".
var pinnedTag = regexp.MustCompile(`^v?[0-9]+\.[0-9]+([.+-][0-9A-Za-z.+-]*)?$`)

// composePinned: every pulled image names a full version, so `docker compose
// pull` next month runs what was tested. The orderflow image is built here.
func composePinned(p *types.Project) []error {
	var errs []error
	for _, name := range sortedKeys(p.Services) {
		svc := p.Services[name]
		if svc.Image == composeImage && svc.Build != nil {
			continue
		}
		repo, tag := imageTag(svc.Image)
		switch {
		case svc.Image == "":
			errs = append(errs, fmt.Errorf("%s has no image", name))
		case strings.HasPrefix(tag, "sha256:"):
		case !pinnedTag.MatchString(tag):
			errs = append(errs, fmt.Errorf("%s: image %s is not pinned to a full version (tag %q; want e.g. %s:1.2.3)", name, svc.Image, tag, repo))
		}
	}
	return errs
}

// addressSettings are the variables naming another service, by service kind:
// whoever reads one waits for that service to be healthy.
var addressSettings = []string{"DATABASE_URL", "REDIS_URL", "KAFKA_BROKERS", "TEMPORAL_ADDRESS", "POSTGRES_SEEDS", "SQL_HOST", "API_URL", "PAYMENTS_URL"}

// composeStartupOrder: every service waits, with a condition, for what it
// talks to: healthy for servers (a started container is not yet serving), and
// completed for the one-shots that prepare them (topics, schemas, namespace).
func composeStartupOrder(p *types.Project) []error {
	var errs []error
	for _, name := range sortedKeys(p.Services) {
		svc := p.Services[name]
		// A bare start says nothing when the target can say it is ready.
		for _, dep := range sortedKeys(svc.DependsOn) {
			if svc.DependsOn[dep].Condition == types.ServiceConditionStarted && healthy(p.Services[dep]) {
				errs = append(errs, fmt.Errorf("%s waits only for %s to start, but %s has a healthcheck: use service_healthy", name, dep, dep))
			}
		}
		deps := dependencies(p, name)
		for _, key := range addressSettings {
			v, ok := env(svc, key)
			if !ok || v == "" {
				continue
			}
			for _, addr := range strings.Split(v, ",") {
				host := hostOf(addr)
				target, ok := p.Services[host]
				if !ok || host == name {
					continue // composeAddresses
				}
				if healthy(target) && deps[host] != types.ServiceConditionHealthy {
					errs = append(errs, fmt.Errorf("%s: %s names %s, but %s does not wait for %s to be healthy", name, key, host, name, host))
				}
			}
		}
		if role(svc) == "" || !longRunning(svc) {
			continue
		}
		for key, job := range map[string]string{"KAFKA_BROKERS": "kafka-init", "TEMPORAL_ADDRESS": temporalSetupJob} {
			if _, set := env(svc, key); set && deps[job] != types.ServiceConditionCompletedSuccessfully {
				errs = append(errs, fmt.Errorf("%s reads %s but does not wait for %s to complete successfully", name, key, job))
			}
		}
	}
	// The Web UI and the setup job need a serving Temporal.
	for _, name := range []string{"temporal-ui", temporalSetupJob} {
		if dependencies(p, name)[temporalService] != types.ServiceConditionHealthy {
			errs = append(errs, fmt.Errorf("%s does not wait for %s to be healthy", name, temporalService))
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
	// The sandbox carrier checks the fulfilment worker's key and signs its
	// tracking callbacks for the api.
	same("CARRIER_WEBHOOK_SECRET", apis[0], sandboxes[0])
	same("CARRIER_API_KEY", append([]string{sandboxes[0]}, servicesOf(p, "worker fulfilment")...)...)

	public := effective(api, "PUBLIC_API_URL")
	if u, err := url.Parse(public); err != nil || u.Hostname() != apis[0] {
		errs = append(errs, fmt.Errorf("PUBLIC_API_URL=%q does not name the %s service; the sandbox's callbacks would not reach it", public, apis[0]))
	} else if _, port, _ := net.SplitHostPort(effective(api, "API_ADDR")); u.Port() != port {
		errs = append(errs, fmt.Errorf("PUBLIC_API_URL=%q, but the api listens on port %s", public, port))
	}
	// The providers the workers call are the sandbox.
	for _, n := range slices.Concat(servicesOf(p, "worker orders"), notifiers, servicesOf(p, "worker fulfilment")) {
		for _, key := range []string{"PAYMENTS_URL", "SENDGRID_BASE_URL", "TWILIO_BASE_URL", "PUSH_BASE_URL", "CARRIER_URL"} {
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
		{"undefined dependency", "      api:\n        condition: service_healthy\n", "      apii:\n        condition: service_healthy\n", "apii"},
		{"healthy on a service without healthcheck", "      test: [CMD-SHELL, nc -z \"$$(hostname)\" 7233]\n", "      disable: true\n", "waits for temporal to be healthy, but temporal has no healthcheck"},
		{"queue polled twice", "command: [worker, --queue, inventory]", "command: [worker, --queue, orders]", `queue "orders" is polled by 2`},
		{"short stop grace", "readyz\"]\n    stop_grace_period: 60s\n", "readyz\"]\n    stop_grace_period: 10s\n", "stop_grace_period"},
		{"published beyond loopback", "      - 127.0.0.1:8080:8080\n", "      - 8080:8080\n", "beyond loopback"},
		{"temporal UI on another port", "      - 127.0.0.1:8233:8080\n", "      - 127.0.0.1:8088:8080\n", "temporal-ui is not published on 127.0.0.1:8233"},
		{"api listens on loopback", "API_ADDR: :8080", "API_ADDR: 127.0.0.1:8080", "unreachable from outside"},
		{"migrate does not migrate", "command: [migrate, --seed]", "command: [sandbox]", "want `orderflow migrate`"},
		{"restarting one-shot", "    command: [migrate, --seed]\n    restart: \"no\"\n", "    command: [migrate, --seed]\n", "restart: unless-stopped"},
		{"seeding in production", "  ENVIRONMENT: development\n", "  ENVIRONMENT: production\n", "migrate runs --seed with ENVIRONMENT=\"production\""},
		{"api skips migrate", "  migrate:\n    condition: service_completed_successfully\n", "", "does not wait for migrate"},
		{"dangling host", "REDIS_URL: redis://redis:6379/0", "REDIS_URL: redis://cache:6379/0", `points at "cache"`},
		{"missing search attribute", "          --name CustomerId --type Keyword \\\n", "", "does not create search attribute CustomerId (Keyword)"},
		{"search attribute of the wrong type", "--name OrderTotal --type Double", "--name OrderTotal --type Int", "does not create search attribute OrderTotal (Double)"},
		{"namespace the roles do not use", "      API_ADDR: :8080\n", "      API_ADDR: :8080\n      TEMPORAL_NAMESPACE: orders\n", `TEMPORAL_NAMESPACE="orders", but temporal-setup creates namespace "default"`},
		{"dev server", "image: temporalio/server:1.29.1", "image: temporalio/auto-setup:1.29.1", "want temporalio/server"},
		{"server version apart from Helm", "image: temporalio/server:1.29.1", "image: temporalio/server:1.28.0", "the Helm values 1.29.1"},
		{"admin tools of another version", "image: temporalio/admin-tools:1.29.1-tctl-1.18.4-cli-1.5.0", "image: temporalio/admin-tools:1.28.0-tctl-1.18.4-cli-1.5.0", "want temporalio/admin-tools:1.29.1"},
		{"sqlite, not PostgreSQL", "      DB: postgres12\n", "      DB: sqlite\n", `DB="sqlite"`},
		{"server before its schema", "      temporal-schema:\n        condition: service_completed_successfully\n", "", "temporal does not wait for temporal-schema"},
		{"visibility schema missing", "        temporal-sql-tool --db temporal_visibility update-schema -d \"$$schema/visibility/versioned\"\n", "", "for temporal_visibility"},
		{"schema on another database server", "      SQL_HOST: temporal-postgres\n", "      SQL_HOST: postgres\n", "SQL_HOST=\"postgres\""},
		{"roles at another Temporal", "  TEMPORAL_ADDRESS: temporal:7233\n", "  TEMPORAL_ADDRESS: temporal-ui:7233\n", "want temporal:7233"},
		{"roles before the search attributes", "  temporal-setup:\n    condition: service_completed_successfully\n", "", "does not wait for temporal-setup to complete successfully"},
		{"UI before the server", "      TEMPORAL_UI_PORT: 8080\n    depends_on:\n      temporal:\n        condition: service_healthy\n", "      TEMPORAL_UI_PORT: 8080\n", "temporal-ui does not wait for temporal"},
		{"role without healthcheck", "    ports:\n      - 127.0.0.1:3000:3000\n    healthcheck:\n      <<: *healthcheck\n      test: [CMD, /orderflow, healthcheck, \"http://127.0.0.1:9090/readyz\"]\n", "    ports:\n      - 127.0.0.1:3000:3000\n", "frontend has no `orderflow healthcheck`"},
		{"healthcheck through a shell", "    ports:\n      - 127.0.0.1:3000:3000\n    healthcheck:\n      <<: *healthcheck\n      test: [CMD, /orderflow, healthcheck, \"http://127.0.0.1:9090/readyz\"]\n", "    ports:\n      - 127.0.0.1:3000:3000\n    healthcheck:\n      <<: *healthcheck\n      test: [CMD-SHELL, curl -f http://127.0.0.1:9090/readyz]\n", "frontend: healthcheck"},
		{"healthcheck on another port", "test: [CMD, /orderflow, healthcheck, \"http://127.0.0.1:4010/readyz\"]", "test: [CMD, /orderflow, healthcheck, \"http://127.0.0.1:9090/readyz\"]", "sandbox: healthcheck probes port 9090"},
		{"healthcheck of another service", "    ports:\n      - 127.0.0.1:8080:8080\n    healthcheck:\n      <<: *healthcheck\n      test: [CMD, /orderflow, healthcheck, \"http://127.0.0.1:9090/readyz\"]\n", "    ports:\n      - 127.0.0.1:8080:8080\n    healthcheck:\n      <<: *healthcheck\n      test: [CMD, /orderflow, healthcheck, \"http://sandbox:4010/readyz\"]\n", "not the container itself"},
		{"started, not healthy", "      api:\n        condition: service_healthy\n", "      api:\n        condition: service_started\n", "frontend waits only for api to start"},
		{"major-only tag", "image: redis:7.4.5", "image: redis:7", `tag "7"`},
		{"latest tag", "image: temporalio/ui:2.42.1", "image: temporalio/ui:latest", `tag "latest"`},
		{"untagged image", "image: apache/kafka:3.9.1\n    depends_on", "image: apache/kafka\n    depends_on", "kafka-init: image apache/kafka is not pinned"},
		{"notifications worker calls back to loopback", "      <<: [*env-log, *env-development, *env-postgres, *env-redis, *env-temporal, *env-kafka, *env-public-api, *env-webhook-targets]\n      OPS_ADDR: :9090\n",
			"      <<: [*env-log, *env-development, *env-postgres, *env-redis, *env-temporal, *env-kafka, *env-webhook-targets]\n      OPS_ADDR: :9090\n", "worker notifications reads PUBLIC_API_URL, whose default is loopback"},
		{"push to loopback", "      PUSH_BASE_URL: http://sandbox:4010\n", "", "reads PUSH_BASE_URL, whose default is loopback"},
		{"carrier elsewhere", "      # The carrier is the sandbox service, with the binary's sandbox key.\n      CARRIER_URL: http://sandbox:4010\n",
			"      CARRIER_URL: http://api:8080\n", `worker-fulfilment: CARRIER_URL="http://api:8080" is not the sandbox service`},
		{"carrier callbacks signed with another secret", "      CARRIER_URL: http://sandbox:4010\n    ports:", "      CARRIER_URL: http://sandbox:4010\n      CARRIER_WEBHOOK_SECRET: another-secret-of-16+\n    ports:", "CARRIER_WEBHOOK_SECRET differs"},
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
