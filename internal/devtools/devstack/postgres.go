package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PostgresOptions configures StartPostgres.
type PostgresOptions struct {
	// DataDir is the cluster directory. initdb runs only when it holds no
	// PG_VERSION yet, so a second start reuses the data.
	DataDir string
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// User and Password of the superuser initdb creates; Database is created
	// on start when missing. All three are required.
	User, Password, Database string
	// LogFile receives initdb's and the server's output; "" means
	// "<DataDir>.log" beside the data directory (initdb wants it empty).
	LogFile string
	// Fast trades crash safety for speed (fsync, synchronous_commit and
	// full_page_writes off): for tests, never for data you want to keep.
	Fast bool
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
}

// Postgres is a PostgreSQL server child process listening on loopback only
// (no Unix socket), with password (SCRAM) authentication.
type Postgres struct {
	opts   PostgresOptions // DataDir absolute, Port and LogFile resolved
	logger *slog.Logger
	spec   childSpec

	mu      sync.Mutex // guards process across Stop and Restart
	process *child
}

// StartPostgres finds PostgreSQL (installing the Debian package when it is
// missing and we are root), creates the cluster on first use and runs it.
// It returns once the database accepts connections. PostgreSQL refuses to run
// as root, so as root it runs as the "postgres" system user (or a system user
// "orderflow", created when neither exists).
func StartPostgres(ctx context.Context, o PostgresOptions) (*Postgres, error) {
	if o.DataDir == "" || o.User == "" || o.Password == "" || o.Database == "" {
		return nil, errors.New("postgres: DataDir, User, Password and Database are required")
	}
	logger := loggerOrDefault(o.Logger)
	binDir, err := postgresBinDir(ctx, logger)
	if err != nil {
		return nil, err
	}
	if o.DataDir, err = filepath.Abs(o.DataDir); err != nil {
		return nil, err
	}
	if o.Port, err = portOrFree(o.Port); err != nil {
		return nil, err
	}
	if o.LogFile == "" {
		o.LogFile = o.DataDir + ".log"
	}
	runAs, err := unprivilegedUser(ctx, logger)
	if err != nil {
		return nil, err
	}
	if err := prepareDataDir(o.DataDir, runAs); err != nil {
		return nil, err
	}
	if !isFile(filepath.Join(o.DataDir, "PG_VERSION")) {
		if err := initdb(ctx, logger, filepath.Join(binDir, "initdb"), o, runAs); err != nil {
			return nil, err
		}
	}

	args := []string{
		"-D", o.DataDir,
		"-p", strconv.Itoa(o.Port),
		"-c", "listen_addresses=127.0.0.1",
		// No socket: its directory would need to be writable by the server
		// user, and everything connects over TCP anyway.
		"-c", "unix_socket_directories=",
	}
	if o.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	p := &Postgres{
		opts:   o,
		logger: logger,
		spec: childSpec{
			name:    "PostgreSQL",
			path:    filepath.Join(binDir, "postgres"),
			args:    args,
			logPath: o.LogFile,
			runAs:   runAs,
			// Fast shutdown: roll back open transactions, checkpoint, exit.
			stopSignal: syscall.SIGINT,
		},
	}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	if err := p.ensureDatabase(ctx, o.Database); err != nil {
		_ = p.Stop(ctx)
		return nil, err
	}
	logger.Info("PostgreSQL ready", "url", p.redactedURL())
	return p, nil
}

// URL is the connection string: postgres://user:pass@127.0.0.1:port/db?sslmode=disable.
func (p *Postgres) URL() string { return p.urlFor(p.opts.Database, true) }

// PID is the postmaster's process id (it changes on Restart), for
// ProcessesFile.
func (p *Postgres) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.process.pid()
}

// Stop shuts the server down (fast shutdown: open transactions roll back, a
// checkpoint is written) and waits for it; if ctx ends first, or after
// 20 s, the server is killed. Calling it again does nothing.
func (p *Postgres) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.process.stop(ctx)
}

// Restart stops the server and starts it again on the same data directory and
// port; tests use it to restart the database while orders are in flight.
func (p *Postgres) Restart(ctx context.Context) error {
	if err := p.Stop(ctx); err != nil {
		return err
	}
	if err := p.start(ctx); err != nil {
		return err
	}
	p.logger.Info("PostgreSQL restarted", "url", p.redactedURL())
	return nil
}

func (p *Postgres) start(ctx context.Context) error {
	// The maintenance database always exists, even before ensureDatabase.
	adminURL := p.urlFor("postgres", true)
	probe := func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, adminURL)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "28P01" { // invalid_password, also for an unknown user
			return fatalProbeError{fmt.Errorf("postgres: the cluster in %s rejects user %s: %s; it was created with other credentials: use those, or delete the directory to start afresh",
				p.opts.DataDir, p.opts.User, pgErr.Message)}
		}
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	}
	process, err := startChild(ctx, p.spec, p.logger, probe)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.process = process
	p.mu.Unlock()
	return nil
}

// ensureDatabase creates the database name unless it exists.
func (p *Postgres) ensureDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, p.urlFor("postgres", true))
	if err != nil {
		return fmt.Errorf("postgres: connect to create database %q: %w", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: create database %q: %w", name, err)
	}
	p.logger.Info("created database", "database", name)
	return nil
}

func (p *Postgres) urlFor(database string, withPassword bool) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(p.opts.User),
		Host:     loopback(p.opts.Port),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	if withPassword {
		u.User = url.UserPassword(p.opts.User, p.opts.Password)
	}
	return u.String()
}

// redactedURL is the URL for log lines, which must not carry the password.
func (p *Postgres) redactedURL() string { return p.urlFor(p.opts.Database, false) }

// postgresBinDir returns the directory holding postgres and initdb: the one of
// the postgres on PATH, else the newest /usr/lib/postgresql/<version>/bin
// (Debian keeps them off PATH), installing the Debian package as a last resort.
func postgresBinDir(ctx context.Context, logger *slog.Logger) (string, error) {
	find := func() string {
		var candidates []string
		if path, err := exec.LookPath("postgres"); err == nil {
			if resolved, err := filepath.EvalSymlinks(path); err == nil {
				path = resolved
			}
			candidates = append(candidates, filepath.Dir(path))
		}
		versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(versioned, func(i, j int) bool { return majorVersion(versioned[i]) > majorVersion(versioned[j]) })
		for _, dir := range append(candidates, versioned...) {
			if isFile(filepath.Join(dir, "postgres")) && isFile(filepath.Join(dir, "initdb")) {
				return dir
			}
		}
		return ""
	}
	if dir := find(); dir != "" {
		return dir, nil
	}
	if err := installDebianPackage(ctx, logger, "postgres", "postgresql", "postgresql"); err != nil {
		return "", err
	}
	if dir := find(); dir != "" {
		return dir, nil
	}
	return "", errors.New("postgres: installed the postgresql package but found no postgres and initdb in /usr/lib/postgresql/*/bin")
}

// majorVersion reads 15 from /usr/lib/postgresql/15/bin.
func majorVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// unprivilegedUser returns the credentials to run PostgreSQL with when we are
// root (it refuses to run as root), or nil when we are not.
func unprivilegedUser(ctx context.Context, logger *slog.Logger) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	systemMu.Lock()
	defer systemMu.Unlock()
	u, err := user.Lookup("postgres")
	if err != nil {
		if u, err = user.Lookup("orderflow"); err != nil {
			cmd := exec.CommandContext(ctx, "useradd", "--system", "--user-group", "--no-create-home",
				"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "orderflow")
			logger.Info("running", "cmd", strings.Join(cmd.Args, " "))
			if out, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("postgres: create system user orderflow to run PostgreSQL as: %v: %s", err, lastLine(out))
			}
			if u, err = user.Lookup("orderflow"); err != nil {
				return nil, err
			}
		}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	// An empty Groups drops root's supplementary groups.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// prepareDataDir creates the data directory with the mode PostgreSQL demands
// (0700) and, when the server runs as another user, hands it to that user and
// makes sure the user can reach it.
func prepareDataDir(dir string, runAs *syscall.Credential) error {
	// Parents we create stay open to the server user; only the data
	// directory itself is private.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("postgres data directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("postgres data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("postgres data directory: %w", err)
	}
	if runAs == nil {
		return nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	// A cluster created earlier as another user must change hands entirely.
	if info.Sys().(*syscall.Stat_t).Uid != runAs.Uid {
		err := filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, int(runAs.Uid), int(runAs.Gid))
		})
		if err != nil {
			return fmt.Errorf("postgres data directory: hand it to the server user: %w", err)
		}
	}
	return makeReachable(filepath.Dir(dir), runAs)
}

// makeReachable checks that user runAs may enter every directory from dir up
// to /. Missing search permission is added only below the temporary directory
// (t.TempDir() makes 0700 directories); elsewhere it is an error, because
// opening up someone's home or a system directory is not ours to decide.
func makeReachable(dir string, runAs *syscall.Credential) error {
	tmp := filepath.Clean(os.TempDir()) + string(filepath.Separator)
	for ; ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		searchBit := os.FileMode(0o001)
		switch {
		case st.Uid == runAs.Uid:
			searchBit = 0o100
		case st.Gid == runAs.Gid:
			searchBit = 0o010
		}
		if info.Mode().Perm()&searchBit == 0 {
			if !strings.HasPrefix(dir, tmp) {
				return fmt.Errorf("postgres: the server runs as uid %d, which cannot enter %s (mode %v): choose a data directory it can reach", runAs.Uid, dir, info.Mode().Perm())
			}
			if err := os.Chmod(dir, info.Mode().Perm()|searchBit); err != nil {
				return fmt.Errorf("postgres: let the server user enter %s: %w", dir, err)
			}
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

// initdb creates the cluster with o.User as superuser and password
// authentication for every connection.
func initdb(ctx context.Context, logger *slog.Logger, binary string, o PostgresOptions, runAs *syscall.Credential) error {
	// initdb reads the password from a file, which the server user must be
	// able to read; it lives only as long as initdb runs.
	pwfile, err := os.CreateTemp("", "orderflow-pgpass-*")
	if err != nil {
		return err
	}
	defer os.Remove(pwfile.Name())
	_, err = pwfile.WriteString(o.Password + "\n")
	if closeErr := pwfile.Close(); err == nil {
		err = closeErr
	}
	if err == nil && runAs != nil {
		err = os.Chown(pwfile.Name(), int(runAs.Uid), int(runAs.Gid))
	}
	if err != nil {
		return fmt.Errorf("postgres: write initdb password file: %w", err)
	}
	args := []string{
		"-D", o.DataDir,
		"--username=" + o.User,
		"--pwfile=" + pwfile.Name(),
		"--auth=scram-sha-256",
		"--encoding=UTF8",
		"--no-locale", // the C locale: identical on every machine
		"--no-instructions",
	}
	if o.Fast {
		args = append(args, "--no-sync")
	}
	return runToCompletion(ctx, childSpec{
		name:    "initdb",
		path:    binary,
		args:    args,
		logPath: o.LogFile,
		runAs:   runAs,
	}, logger)
}
