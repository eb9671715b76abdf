package k8s_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/orderflow/orderflow/internal/config"
)

// settingsByRole is every environment variable each deployable role reads,
// pinned here so that a new setting is a deliberate edit of the manifests and
// the compose file. TestSettingsFollowCode derives the same table from
// cmd/orderflow/main.go and internal/app, so it cannot go stale. Both the
// manifests and docker-compose.yml give each role exactly these variables:
// a missing one silently falls back to the binary's local-stack default
// (loopback addresses, sandbox credentials); an extra one is configuration,
// or a credential, that a process does not need.
var settingsByRole = map[string][]string{
	"api": {"LOG_LEVEL", "API_ADDR", "SHUTDOWN_TIMEOUT", "DATABASE_URL", "REDIS_ADDR", "REDIS_PASSWORD",
		"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "RESERVATION_TTL", "APPROVAL_THRESHOLD", "APPROVAL_TIMEOUT",
		// Provider callbacks: Twilio signs PUBLIC_API_URL/webhooks/twilio with
		// the auth token; SendGrid signs its events with the key pair.
		"PUBLIC_API_URL", "TWILIO_AUTH_TOKEN", "SENDGRID_WEBHOOK_PUBLIC_KEY",
		// The front door: per-client rate limit (in Redis), whose client is
		// named by X-Forwarded-For only from trusted proxies, and CORS.
		"RATE_LIMIT_PER_MINUTE", "TRUSTED_PROXIES", "CORS_ALLOWED_ORIGINS",
		// Sign-in: access tokens are signed with the first of JWT_SIGNING_KEYS
		// and verified with any of them; ENVIRONMENT=production refuses the
		// public development key. Attempts are counted in Redis per account
		// and per client address.
		"ENVIRONMENT", "JWT_SIGNING_KEYS", "ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL",
		"LOGIN_ATTEMPTS_PER_ACCOUNT", "LOGIN_ATTEMPTS_PER_IP"},
	"frontend": {"LOG_LEVEL", "FRONTEND_ADDR", "API_URL", "SHUTDOWN_TIMEOUT"},
	"worker orders": {"LOG_LEVEL", "OPS_ADDR", "SHUTDOWN_TIMEOUT", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
		"DATABASE_URL", "KAFKA_BROKERS", "PAYMENTS_URL", "RECONCILE_INTERVAL"},
	"worker inventory": {"LOG_LEVEL", "OPS_ADDR", "SHUTDOWN_TIMEOUT", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
		"DATABASE_URL", "KAFKA_BROKERS", "REDIS_ADDR", "REDIS_PASSWORD"},
	"worker notifications": {"LOG_LEVEL", "OPS_ADDR", "SHUTDOWN_TIMEOUT", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
		"DATABASE_URL", "REDIS_ADDR", "REDIS_PASSWORD", "BREAKER_FAILURES", "BREAKER_OPEN_FOR",
		"SENDGRID_API_KEY", "SENDGRID_BASE_URL", "EMAIL_FROM",
		"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_BASE_URL", "TWILIO_FROM",
		"PUSH_API_KEY", "PUSH_BASE_URL", "WEBHOOK_SIGNING_SECRET", "PUBLIC_API_URL"},
	// The first admin account, created when absent; ENVIRONMENT=production
	// refuses the development defaults of ADMIN_*.
	"migrate":           {"LOG_LEVEL", "DATABASE_URL", "ENVIRONMENT", "ADMIN_EMAIL", "ADMIN_PASSWORD"},
	"inventory-rebuild": {"LOG_LEVEL", "DATABASE_URL", "REDIS_ADDR", "REDIS_PASSWORD"},
	// Development only (docker-compose.yml's migrate), a role of its own like a
	// worker's queue: --seed also creates the demo customer. The manifests never
	// pass it (checkProductionRoles) and the binary refuses it in production, so
	// no production workload reads DEMO_CUSTOMER_*.
	"migrate --seed": {"LOG_LEVEL", "DATABASE_URL", "ENVIRONMENT", "ADMIN_EMAIL", "ADMIN_PASSWORD",
		"DEMO_CUSTOMER_EMAIL", "DEMO_CUSTOMER_PASSWORD"},
	// Development and tests only; never in the manifests.
	"sandbox": {"LOG_LEVEL", "SANDBOX_ADDR", "SHUTDOWN_TIMEOUT", "PUBLIC_API_URL", "TWILIO_AUTH_TOKEN",
		"WEBHOOK_SIGNING_SECRET", "SANDBOX_SENDGRID_WEBHOOK_KEY", "SANDBOX_STATE_FILE"},
}

// undeployedRoles are roles of cmd/orderflow that run neither in k8s/ nor in
// docker-compose.yml as a service of their own.
var undeployedRoles = []string{"dev", "loadgen"}

// roleOf names the role a command line runs: "worker orders" for
// `worker --queue orders`, "migrate --seed" for `migrate --seed`, else the
// subcommand.
func roleOf(args []string) string {
	if len(args) == 0 {
		return ""
	}
	if args[0] == "worker" {
		q, _ := queueOf(args)
		return "worker " + q
	}
	if args[0] == "migrate" && seeds(args[1:]) {
		return "migrate --seed"
	}
	return args[0]
}

// seeds reports whether migrate's flags turn --seed on, in any spelling the
// flag package takes: -seed, --seed, --seed=true.
func seeds(flags []string) bool {
	on := false
	for _, f := range flags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if !strings.HasPrefix(f, "-") || name != "seed" {
			continue
		}
		on = true
		if hasValue {
			on, _ = strconv.ParseBool(value)
		}
	}
	return on
}

// configEnv maps each config.Config field to the environment variable that
// sets it, by asking config.FromLookup: which names it looks up, and which
// field each one changes.
var configEnv = sync.OnceValues(func() (map[string]string, error) {
	var names []string
	if _, err := config.FromLookup(func(name string) (string, bool) {
		names = append(names, name)
		return "", false
	}); err != nil {
		return nil, err
	}
	def := reflect.ValueOf(config.Default())
	out := map[string]string{}
	for _, name := range names {
		found := ""
		for _, probe := range []string{"debug", "7", "1h2m3s", "10.0.0.0/8", "https://example.com", "production"} {
			cfg, err := config.FromLookup(func(n string) (string, bool) {
				if n == name {
					return probe, true
				}
				return "", false
			})
			if err != nil {
				continue
			}
			got := reflect.ValueOf(cfg)
			var changed []string
			for i := range got.NumField() {
				if !reflect.DeepEqual(got.Field(i).Interface(), def.Field(i).Interface()) {
					changed = append(changed, got.Type().Field(i).Name)
				}
			}
			if len(changed) == 1 {
				found = changed[0]
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("config.FromLookup reads %s, but no probe value changes exactly one field; teach configEnv in k8s/settings_test.go", name)
		}
		out[found] = name
	}
	return out, nil
})

// configDefaults maps each environment variable to the binary's built-in
// value (the local stack's), as text.
var configDefaults = sync.OnceValues(func() (map[string]string, error) {
	env, err := configEnv()
	if err != nil {
		return nil, err
	}
	def := reflect.ValueOf(config.Default())
	out := map[string]string{}
	for field, name := range env {
		switch v := def.FieldByName(field).Interface().(type) {
		case []string:
			out[name] = strings.Join(v, ",")
		default:
			out[name] = fmt.Sprint(v)
		}
	}
	return out, nil
})

// codeReader derives which config.Config fields each role reads from the
// source: cmd/orderflow/main.go picks the app function of each role, and the
// app package's functions read cfg.Field directly, through the functions they
// pass cfg to, or through config.Config's own methods (cfg.Production() reads
// Environment; see method). For `worker`, only the branches of `switch queue`
// and `if queue == ...` that a queue takes count; for `migrate`, only those
// of `if seed` that --seed, or its absence, takes.
type codeReader struct {
	funcs   map[string]*ast.FuncDecl // package-level functions of internal/app
	methods map[string]*ast.FuncDecl // methods of config.Config (internal/config)
	consts  map[string]string        // string constants of workflows/ (task queues)
	fields  map[string]bool          // config.Config's fields
	fset    *token.FileSet
	errs    []error
}

func parseDir(fset *token.FileSet, dir string) ([]*ast.File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	return files, nil
}

func newCodeReader(fset *token.FileSet, app, cfg, workflows []*ast.File) *codeReader {
	r := &codeReader{funcs: map[string]*ast.FuncDecl{}, methods: map[string]*ast.FuncDecl{},
		consts: map[string]string{}, fields: map[string]bool{}, fset: fset}
	for _, f := range app {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				r.funcs[fd.Name.Name] = fd
			}
		}
	}
	// Methods with the receiver Config or *Config.
	for _, f := range cfg {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if isIdent(recv, "Config") {
				r.methods[fd.Name.Name] = fd
			}
		}
	}
	for _, f := range workflows {
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							r.consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
			return true
		})
	}
	ct := reflect.TypeFor[config.Config]()
	for i := range ct.NumField() {
		r.fields[ct.Field(i).Name] = true
	}
	return r
}

func (r *codeReader) errorf(pos token.Pos, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", r.fset.Position(pos), fmt.Sprintf(format, args...)))
}

// scope is one function being read: its config.Config variables, and the
// parameter the command line binds (worker's queue, migrate's seed) with its
// value ("" reads every branch).
type scope struct {
	cfg      map[string]bool
	boundVar string
	bound    string
	reads    map[string]bool
	seen     map[string]bool // functions already read, with their bound value
	appPkg   string          // in main.go: the import name of internal/app
	entries  []string        // in main.go: app functions a role calls
	// In a method of config.Config (method): the setting names the call
	// passes, true once the method's by-name table has an entry for it; and
	// whether the method has such a table. nil outside methods.
	names map[string]bool
	keyed bool
}

// function reads the fields an app function reads, with its parameter named
// param bound to value when value is set.
func (r *codeReader) function(name, param, value string, reads, seen map[string]bool) {
	key := name + "/" + value
	if seen[key] {
		return
	}
	seen[key] = true
	fd, ok := r.funcs[name]
	if !ok {
		r.errs = append(r.errs, fmt.Errorf("internal/app has no function %s", name))
		return
	}
	sc := &scope{cfg: map[string]bool{}, reads: reads, seen: seen}
	for _, p := range fd.Type.Params.List {
		for _, n := range p.Names {
			if sel, ok := p.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Config" {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "config" {
					sc.cfg[n.Name] = true
				}
			}
			if value != "" && n.Name == param {
				sc.boundVar, sc.bound = param, value
			}
		}
	}
	if value != "" && sc.boundVar == "" {
		r.errorf(fd.Pos(), "%s has no parameter %q to bind %q to", name, param, value)
	}
	if fd.Body != nil {
		r.stmts(sc, fd.Body.List)
	}
}

// method reads a method of config.Config called on a config variable, like
// an app function, with the receiver as the config variable: cfg.Production()
// reads Environment. One idiom needs the call's arguments too:
// RefuseDevelopmentDefaults is handed settings by name and looks each up in a
// table keyed by that name,
//
//	current := map[string][2]string{"JWT_SIGNING_KEYS": {c.JWTSigningKeys, d.JWTSigningKeys}, ...}
//
// so in a method, an element keyed by a string literal is read only when the
// call passes that literal (node, *ast.KeyValueExpr): the api's
// RefuseDevelopmentDefaults("JWT_SIGNING_KEYS") reads JWTSigningKeys (and
// Environment, through Production), not the admin account migrate checks. A
// name the table lacks, or one that is not a literal, is reported: the reader
// could not tell what the call reads.
func (r *codeReader) method(caller *scope, call *ast.CallExpr, name string) {
	fd := r.methods[name]
	sc := &scope{cfg: map[string]bool{}, reads: caller.reads, seen: caller.seen, names: map[string]bool{}}
	literal := true
	for _, a := range call.Args {
		if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			v, _ := strconv.Unquote(lit.Value)
			sc.names[v] = false
			continue
		}
		literal = false
		r.node(caller, a)
	}
	key := fmt.Sprintf("config.Config.%s%q literal=%v", name, slices.Sorted(maps.Keys(sc.names)), literal)
	if caller.seen[key] {
		return
	}
	caller.seen[key] = true
	for _, n := range fd.Recv.List[0].Names {
		sc.cfg[n.Name] = true
	}
	if fd.Body != nil {
		r.stmts(sc, fd.Body.List)
	}
	if !sc.keyed {
		return
	}
	if !literal {
		r.errorf(call.Pos(), "%s is handed setting names that are not string literals, which this test cannot follow", exprString(call.Fun))
	}
	for _, n := range slices.Sorted(maps.Keys(sc.names)) {
		if !sc.names[n] {
			r.errorf(call.Pos(), "%s(%q): config.Config.%s has no entry %q", exprString(call.Fun), n, name, n)
		}
	}
}

// queueValue evaluates a case or comparison operand: a workflows constant or
// a string literal.
func (r *codeReader) queueValue(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			v, err := strconv.Unquote(e.Value)
			return v, err == nil
		}
	case *ast.SelectorExpr:
		v, ok := r.consts[e.Sel.Name]
		return v, ok
	}
	return "", false
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && name != "" && id.Name == name
}

// boundCond evaluates a condition on the bound parameter: `queue == X`,
// `queue != X`, `seed`, `!seed`, and `seed && ...` when seed is false; ok is
// false for any other condition, whose branches are then all read.
func (r *codeReader) boundCond(sc *scope, cond ast.Expr) (taken, ok bool) {
	if sc.boundVar == "" {
		return false, false
	}
	switch c := cond.(type) {
	case *ast.ParenExpr:
		return r.boundCond(sc, c.X)
	case *ast.Ident:
		if c.Name == sc.boundVar {
			v, err := strconv.ParseBool(sc.bound)
			if err != nil {
				r.errorf(c.Pos(), "%s is bound to %q, not a flag", c.Name, sc.bound)
			}
			return v, err == nil
		}
	case *ast.UnaryExpr:
		if taken, ok := r.boundCond(sc, c.X); ok && c.Op == token.NOT {
			return !taken, true
		}
	case *ast.BinaryExpr:
		if c.Op == token.LAND {
			// False on either side is false; true leaves the other to decide.
			for _, side := range []ast.Expr{c.X, c.Y} {
				if taken, ok := r.boundCond(sc, side); ok && !taken {
					return false, true
				}
			}
		}
		return r.queueCond(sc, c)
	}
	return false, false
}

// queueCond evaluates `queue == X` / `queue != X`; ok is false for any other
// comparison.
func (r *codeReader) queueCond(sc *scope, be *ast.BinaryExpr) (taken, ok bool) {
	if be.Op != token.EQL && be.Op != token.NEQ {
		return false, false
	}
	other := be.Y
	if isIdent(be.Y, sc.boundVar) {
		other = be.X
	} else if !isIdent(be.X, sc.boundVar) {
		return false, false
	}
	v, known := r.queueValue(other)
	if !known {
		r.errorf(be.Pos(), "cannot evaluate the queue comparison")
		return false, false
	}
	return (v == sc.bound) == (be.Op == token.EQL), true
}

// terminates reports whether a block ends by leaving its enclosing statement
// list (break out of a case, return).
func terminates(b *ast.BlockStmt) bool {
	if len(b.List) == 0 {
		return false
	}
	switch s := b.List[len(b.List)-1].(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.BranchStmt:
		return s.Tok == token.BREAK && s.Label == nil
	}
	return false
}

// stmts reads a statement list, stopping after a branch on the bound
// parameter that is taken and leaves the list.
func (r *codeReader) stmts(sc *scope, list []ast.Stmt) {
	for _, s := range list {
		if is, ok := s.(*ast.IfStmt); ok {
			if taken, known := r.boundCond(sc, is.Cond); known {
				r.node(sc, is.Init)
				if taken {
					r.stmts(sc, is.Body.List)
					if terminates(is.Body) {
						return
					}
				} else if is.Else != nil {
					r.node(sc, is.Else)
				}
				continue
			}
		}
		r.node(sc, s)
	}
}

func (r *codeReader) node(sc *scope, n ast.Node) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BlockStmt:
			r.stmts(sc, n.List)
			return false
		case *ast.CaseClause:
			r.stmts(sc, n.Body)
			return false
		case *ast.SwitchStmt:
			if sc.boundVar == "" || !isIdent(n.Tag, sc.boundVar) {
				return true
			}
			r.node(sc, n.Init)
			var chosen, def *ast.CaseClause
			for _, s := range n.Body.List {
				cc := s.(*ast.CaseClause)
				if cc.List == nil {
					def = cc
				}
				for _, e := range cc.List {
					v, ok := r.queueValue(e)
					if !ok {
						r.errorf(e.Pos(), "cannot evaluate the queue case")
					}
					if v == sc.bound {
						chosen = cc
					}
				}
			}
			if chosen == nil {
				chosen = def
			}
			if chosen != nil {
				r.stmts(sc, chosen.Body)
			}
			return false
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && sc.cfg[id.Name] {
				if r.fields[n.Sel.Name] {
					sc.reads[n.Sel.Name] = true
				}
				// Calls are read in *ast.CallExpr; this is a method value.
				if r.methods[n.Sel.Name] != nil {
					r.errorf(n.Pos(), "method value %s.%s, which this test cannot follow; call it", id.Name, n.Sel.Name)
				}
				return false
			}
			if id, ok := n.X.(*ast.Ident); ok && sc.appPkg != "" && id.Name == sc.appPkg {
				sc.entries = append(sc.entries, n.Sel.Name)
			}
		case *ast.AssignStmt:
			// Declaring or assigning the config variable itself is no read.
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); !ok || !sc.cfg[id.Name] {
					r.node(sc, l)
				}
			}
			for _, e := range n.Rhs {
				r.node(sc, e)
			}
			return false
		case *ast.KeyValueExpr:
			// In a method: an entry of a table keyed by setting name counts
			// only when the call names it (method).
			if lit, ok := n.Key.(*ast.BasicLit); ok && lit.Kind == token.STRING && sc.names != nil {
				sc.keyed = true
				k, _ := strconv.Unquote(lit.Value)
				if _, named := sc.names[k]; named {
					sc.names[k] = true
					r.node(sc, n.Value)
				}
				return false
			}
		case *ast.CallExpr:
			// cfg.Method(...): read the method of config.Config.
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && r.methods[sel.Sel.Name] != nil {
				if id, ok := sel.X.(*ast.Ident); ok && sc.cfg[id.Name] {
					r.method(sc, n, sel.Sel.Name)
					return false
				}
			}
			// cfg handed over whole: read the callee too, if it is ours. In
			// main.go, handing it to an app function is how a role starts;
			// in a method, no function of internal/app is ours.
			callee, entry := "", false
			switch fun := n.Fun.(type) {
			case *ast.Ident:
				if _, ours := r.funcs[fun.Name]; ours && sc.appPkg == "" && sc.names == nil {
					callee = fun.Name
				}
			case *ast.SelectorExpr:
				entry = sc.appPkg != "" && isIdent(fun.X, sc.appPkg)
			}
			whole := false
			for _, a := range n.Args {
				if id, ok := a.(*ast.Ident); ok && sc.cfg[id.Name] {
					whole = true
					continue
				}
				r.node(sc, a)
			}
			if whole && callee != "" {
				r.function(callee, "", "", sc.reads, sc.seen)
			} else if whole && !entry {
				r.errorf(n.Pos(), "config handed whole to %s, which this test cannot read; pass the fields it needs, or teach codeReader", exprString(n.Fun))
			}
			r.node(sc, n.Fun)
			return false
		case *ast.Ident:
			if sc.cfg[n.Name] {
				r.errorf(n.Pos(), "config %s used whole (copied, returned or stored), which this test cannot follow", n.Name)
			}
		}
		return true
	})
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return fmt.Sprintf("%T", e)
}

// roleReads reads cmd/orderflow/main.go's run: what every role reads (outside
// the role switch), and per role the app functions it calls, then those.
// Keys are as in settingsByRole; values are config.Config field names.
func (r *codeReader) roleReads(mainFile *ast.File, queues []string) map[string]map[string]bool {
	var run *ast.FuncDecl
	for _, d := range mainFile.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "run" {
			run = fd
		}
	}
	appPkg := ""
	for _, imp := range mainFile.Imports {
		if strings.HasSuffix(imp.Path.Value, `/internal/app"`) {
			appPkg = "app"
			if imp.Name != nil {
				appPkg = imp.Name.Name
			}
		}
	}
	if run == nil || appPkg == "" {
		r.errs = append(r.errs, fmt.Errorf("main.go: no func run or no internal/app import"))
		return nil
	}
	var roleSwitch *ast.SwitchStmt
	ast.Inspect(run.Body, func(n ast.Node) bool {
		if sw, ok := n.(*ast.SwitchStmt); ok && isIdent(sw.Tag, "role") {
			roleSwitch = sw
		}
		return roleSwitch == nil
	})
	if roleSwitch == nil {
		r.errs = append(r.errs, fmt.Errorf("main.go: no `switch role`"))
		return nil
	}
	// Outside the switch: what every role reads (the log level).
	common := map[string]bool{}
	outside := &scope{cfg: map[string]bool{"cfg": true}, reads: common, seen: map[string]bool{}}
	for _, s := range run.Body.List {
		if s != roleSwitch {
			r.node(outside, s)
		}
	}
	out := map[string]map[string]bool{}
	for _, s := range roleSwitch.Body.List {
		cc := s.(*ast.CaseClause)
		for _, e := range cc.List {
			lit, ok := e.(*ast.BasicLit)
			if !ok {
				continue
			}
			role, _ := strconv.Unquote(lit.Value)
			if slices.Contains(undeployedRoles, role) {
				continue
			}
			sc := &scope{cfg: map[string]bool{"cfg": true}, reads: map[string]bool{}, seen: map[string]bool{}, appPkg: appPkg}
			for _, st := range cc.Body {
				r.node(sc, st)
			}
			if len(sc.entries) != 1 {
				r.errs = append(r.errs, fmt.Errorf("main.go: role %q calls app functions %v, want exactly one", role, sc.entries))
				continue
			}
			// A flag that picks branches of the app function makes a role
			// per value (roleOf), each reading its branches only: the queue
			// of `worker --queue q`, and migrate's --seed, which reads the
			// demo customer and which production never passes.
			type run struct{ name, param, value string }
			runs := []run{{name: role}}
			switch role {
			case "worker":
				runs = nil
				for _, q := range queues {
					runs = append(runs, run{"worker " + q, "queue", q})
				}
			case "migrate":
				runs = []run{{"migrate", "seed", "false"}, {"migrate --seed", "seed", "true"}}
			}
			for _, run := range runs {
				reads := map[string]bool{}
				for f := range common {
					reads[f] = true
				}
				for f := range sc.reads {
					reads[f] = true
				}
				r.function(sc.entries[0], run.param, run.value, reads, map[string]bool{})
				out[run.name] = reads
			}
		}
	}
	return out
}

// envNames turns field names into environment variables, sorted.
func envNames(fields map[string]bool, env map[string]string) []string {
	var out []string
	for f := range fields {
		if name, ok := env[f]; ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func TestSettingsFollowCode(t *testing.T) {
	env, err := configEnv()
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	app, err := parseDir(fset, "../internal/app")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseDir(fset, "../internal/config")
	if err != nil {
		t.Fatal(err)
	}
	wf, err := parseDir(fset, "../workflows")
	if err != nil {
		t.Fatal(err)
	}
	mainFile, err := parser.ParseFile(fset, "../cmd/orderflow/main.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	r := newCodeReader(fset, app, cfg, wf)
	got := r.roleReads(mainFile, workerQueues)
	for _, err := range r.errs {
		t.Error(err)
	}
	for _, role := range sortedKeys(got) {
		want, ok := settingsByRole[role]
		if !ok {
			t.Errorf("role %q is new: add it to settingsByRole (or undeployedRoles) and give it a workload", role)
			continue
		}
		names := envNames(got[role], env)
		if want = slices.Sorted(slices.Values(want)); !slices.Equal(names, want) {
			t.Errorf("role %q reads %v according to internal/app; settingsByRole says %v. Update settingsByRole, k8s/*.yaml, docker-compose.yml and k8s/README.md together", role, names, want)
		}
	}
	for _, role := range sortedKeys(settingsByRole) {
		if _, ok := got[role]; !ok {
			t.Errorf("settingsByRole has role %q, which cmd/orderflow/main.go no longer runs", role)
		}
	}
}

// TestCodeReader runs the reader on a small made-up app package, so that a
// reader that misses reads (and so cannot fail TestSettingsFollowCode) fails here.
func TestCodeReader(t *testing.T) {
	const appSrc = `package app

func RunWorker(ctx context.Context, cfg config.Config, queue string) error {
	_ = cfg.TemporalAddress
	switch queue {
	case workflows.OrdersTaskQueue, workflows.InventoryTaskQueue:
		_ = cfg.DatabaseURL
		if queue == workflows.InventoryTaskQueue {
			open(cfg)
			break
		}
		_ = cfg.PaymentsURL
	case "notifications":
		go func() { _ = notify(cfg) }()
	}
	return nil
}

func open(c config.Config) { _ = c.RedisAddr }

func notify(c config.Config) error {
	if c.PublicAPIURL != "" {
		return nil
	}
	return nil
}

func RunLeaky(cfg config.Config) { other.Use(cfg) }

func RunCopy(cfg config.Config) { c := cfg; _ = c.APIAddr }

func RunAPI(cfg config.Config) error { return cfg.Refuse("REDIS_ADDR") }

func Migrate(ctx context.Context, cfg config.Config, seed bool) error {
	if seed && cfg.Production() {
		return nil
	}
	if seed {
		_ = cfg.AdminEmail
	}
	if !seed {
		return nil
	}
	_ = cfg.AdminPassword
	return nil
}

func RunBadNames(cfg config.Config, name string) {
	_ = cfg.Refuse(name)
	_ = cfg.Refuse("KAFKA_BROKERS")
	production := cfg.Production
	_ = production
}
`
	const cfgSrc = `package config

func (c Config) Production() bool { return c.Environment == Production }

func (c *Config) Refuse(names ...string) error {
	table := map[string]string{"DATABASE_URL": c.DatabaseURL, "REDIS_ADDR": c.RedisAddr}
	for _, n := range names {
		if table[n] == Default().APIAddr && c.Production() {
			return errors.New(n)
		}
	}
	return nil
}

func (c Config) unused() string { return c.APIURL }

func Default() Config { return Config{} }
`
	const mainSrc = `package main

import "github.com/orderflow/orderflow/internal/app"

func run(args []string) error {
	cfg, _ := config.Load()
	_ = cfg.LogLevel
	role := args[0]
	switch role {
	case "worker":
		return app.RunWorker(ctx, cfg, "x")
	case "leaky":
		app.RunLeaky(cfg)
	case "copy":
		app.RunCopy(cfg)
	case "api":
		return app.RunAPI(cfg)
	case "migrate":
		seed := flags.Bool("seed", false, "")
		return app.Migrate(ctx, cfg, *seed)
	case "badnames":
		app.RunBadNames(cfg, "x")
	case "dev":
		_ = cfg.SandboxAddr
	}
	return nil
}
`
	const wfSrc = `package workflows

const (
	OrdersTaskQueue    = "orders"
	InventoryTaskQueue = "inventory"
)
`
	fset := token.NewFileSet()
	parse := func(name, src string) *ast.File {
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	r := newCodeReader(fset, []*ast.File{parse("app.go", appSrc)}, []*ast.File{parse("config.go", cfgSrc)},
		[]*ast.File{parse("wf.go", wfSrc)})
	got := r.roleReads(parse("main.go", mainSrc), []string{"orders", "inventory", "notifications"})
	fields := func(role string) []string { return slices.Sorted(maps.Keys(got[role])) }
	for role, want := range map[string][]string{
		"worker orders":        {"DatabaseURL", "LogLevel", "PaymentsURL", "TemporalAddress"},
		"worker inventory":     {"DatabaseURL", "LogLevel", "RedisAddr", "TemporalAddress"},
		"worker notifications": {"LogLevel", "PublicAPIURL", "TemporalAddress"},
		// Through the methods: Refuse's table entry for the name it is
		// given, and Production's read.
		"api": {"Environment", "LogLevel", "RedisAddr"},
		// Without --seed: `seed && ...` is false (Production is not
		// called), `if seed` is skipped and `if !seed` returns.
		"migrate":        {"LogLevel"},
		"migrate --seed": {"AdminEmail", "AdminPassword", "Environment", "LogLevel"},
	} {
		if g := fields(role); !slices.Equal(g, want) {
			t.Errorf("%s: read %v, want %v", role, g, want)
		}
	}
	if d, err := configDefaults(); err != nil || d["KAFKA_BROKERS"] != "127.0.0.1:9092" || d["SHUTDOWN_TIMEOUT"] != "30s" {
		t.Errorf("configDefaults: %v, %v", d, err)
	}
	if _, ok := got["dev"]; ok {
		t.Error("undeployed role dev was read")
	}
	var msgs []string
	for _, err := range r.errs {
		msgs = append(msgs, err.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"config handed whole to other.Use", "config cfg used whole",
		"cfg.Refuse is handed setting names that are not string literals",
		`cfg.Refuse("KAFKA_BROKERS"): config.Config.Refuse has no entry "KAFKA_BROKERS"`,
		"method value cfg.Production"} {
		if !strings.Contains(all, want) {
			t.Errorf("reader errors %q do not mention %q", all, want)
		}
	}
}

// TestConfigEnv pins a few names of configEnv, so a probe that maps nothing
// (and would let every settings check pass vacuously) fails.
func TestConfigEnv(t *testing.T) {
	env, err := configEnv()
	if err != nil {
		t.Fatal(err)
	}
	for field, name := range map[string]string{"DatabaseURL": "DATABASE_URL", "KafkaBrokers": "KAFKA_BROKERS",
		"BreakerFailures": "BREAKER_FAILURES", "ReservationTTL": "RESERVATION_TTL", "LogLevel": "LOG_LEVEL",
		"Environment": "ENVIRONMENT", "JWTSigningKeys": "JWT_SIGNING_KEYS", "LoginAttemptsPerIP": "LOGIN_ATTEMPTS_PER_IP"} {
		if env[field] != name {
			t.Errorf("config field %s is set by %q, want %s", field, env[field], name)
		}
	}
}
