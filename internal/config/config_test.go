package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestDefaultsRunTheLocalStack(t *testing.T) {
	c, err := FromLookup(lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIAddr != "127.0.0.1:8080" || c.TemporalAddress != "127.0.0.1:7233" || c.KafkaBrokers[0] != "127.0.0.1:9092" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	c, err := FromLookup(lookup(map[string]string{
		"KAFKA_BROKERS":     " k1:9092, k2:9092 ,",
		"SENDGRID_BASE_URL": "", // empty selects the real provider
		"SHUTDOWN_TIMEOUT":  "5s",
		"BREAKER_FAILURES":  "3",
		"BREAKER_OPEN_FOR":  "10s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.KafkaBrokers, ",") != "k1:9092,k2:9092" {
		t.Fatalf("brokers %q", c.KafkaBrokers)
	}
	if c.SendGridBaseURL != "" || c.ShutdownTimeout != 5*time.Second || c.BreakerFailures != 3 || c.BreakerOpenFor != 10*time.Second {
		t.Fatalf("got %+v", c)
	}
}

func TestFrontDoorSettings(t *testing.T) {
	c, err := FromLookup(lookup(map[string]string{
		"RATE_LIMIT_PER_MINUTE": "0",
		"TRUSTED_PROXIES":       " 10.1.2.3/8, ::1 ",
		"CORS_ALLOWED_ORIGINS":  "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if c.RateLimitPerMinute != 0 || !reflect.DeepEqual(c.TrustedProxies, want) || len(c.CORSAllowedOrigins) != 0 {
		t.Fatalf("got limit %d, proxies %v, origins %q", c.RateLimitPerMinute, c.TrustedProxies, c.CORSAllowedOrigins)
	}
}

func TestInvalidValuesAreRejected(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"duration":  {"SHUTDOWN_TIMEOUT": "soon"},
		"negative":  {"SHUTDOWN_TIMEOUT": "-1s"},
		"brokers":   {"KAFKA_BROKERS": " , "},
		"log level": {"LOG_LEVEL": "loud"},
		"breaker":   {"BREAKER_FAILURES": "0"},
		"open for":  {"BREAKER_OPEN_FOR": "a while"},
		"rate":      {"RATE_LIMIT_PER_MINUTE": "-1"},
		"proxies":   {"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"},
		"wildcard":  {"CORS_ALLOWED_ORIGINS": "*"},
		"path":      {"CORS_ALLOWED_ORIGINS": "https://a.example.com/app"},
	} {
		if _, err := FromLookup(lookup(env)); err == nil {
			t.Errorf("%s: want an error for %v", name, env)
		}
	}
}

// Environ and FromLookup are inverses: a setting missing from Environ would
// silently fall back to its default in the processes dev and the tests start.
func TestEnvironRoundTrips(t *testing.T) {
	want := Default()
	want.LogLevel, want.DatabaseURL, want.KafkaBrokers = "debug", "postgres://x@db:1/y", []string{"k1:1", "k2:2"}
	want.RedisPassword, want.SendGridBaseURL, want.PushAPIKey = "secret", "", "push-key"
	want.SandboxStateFile = "/tmp/sandbox.json"
	want.BreakerFailures, want.BreakerOpenFor, want.ApprovalThreshold = 9, 7*time.Second, 1234
	want.ReservationTTL, want.ApprovalTimeout, want.ShutdownTimeout = time.Minute, 2*time.Hour, 3*time.Second
	want.RateLimitPerMinute, want.CORSAllowedOrigins = 42, []string{"https://dash.example.com", "http://localhost:3000"}
	want.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("192.0.2.7/32")}
	want.OpsAddr = Default().OpsAddr // per process, not in Environ

	env := map[string]string{}
	for _, kv := range want.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	got, err := FromLookup(lookup(env))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the configuration:\n got %+v\nwant %+v", got, want)
	}
}

// Production refuses the public development values however they are
// dressed up: under another kid, kept as a verify-only key after a rotation,
// with stray spaces.
func TestProductionRefusesDevelopmentCredentials(t *testing.T) {
	dev := Default()
	seed := strings.TrimPrefix(dev.JWTSigningKeys, "dev-1:")
	prod := func(keys, email, password string) Config {
		c := dev
		c.Environment, c.JWTSigningKeys, c.AdminEmail, c.AdminPassword = Production, keys, email, password
		return c
	}
	own := "prod-1:n0Jp5KQ3cpBqzC5wNfJ2d1mYq4bS8uVw9xE7aT6hLk0="
	if err := prod(own, "ops@example.com", "a long admin password").RefuseDevelopmentDefaults("JWT_SIGNING_KEYS", "ADMIN_EMAIL", "ADMIN_PASSWORD"); err != nil {
		t.Fatalf("real credentials refused: %v", err)
	}
	if err := dev.RefuseDevelopmentDefaults("JWT_SIGNING_KEYS", "ADMIN_PASSWORD"); err != nil {
		t.Fatalf("development refused its own defaults: %v", err)
	}
	for name, c := range map[string]Config{
		"default key":            prod(dev.JWTSigningKeys, "ops@example.com", "a long admin password"),
		"dev seed, other kid":    prod("prod:"+seed, "ops@example.com", "a long admin password"),
		"dev key kept to verify": prod(own+",dev-1:"+seed, "ops@example.com", "a long admin password"),
		"spaces":                 prod(" "+dev.JWTSigningKeys, "ops@example.com", "a long admin password"),
		"no key":                 prod("", "ops@example.com", "a long admin password"),
		"demo admin password":    prod(own, "ops@example.com", dev.AdminPassword),
		"demo admin email":       prod(own, strings.ToUpper(dev.AdminEmail), "a long admin password"),
	} {
		if err := c.RefuseDevelopmentDefaults("JWT_SIGNING_KEYS", "ADMIN_EMAIL", "ADMIN_PASSWORD"); err == nil {
			t.Errorf("%s: accepted in production", name)
		} else if strings.Contains(err.Error(), seed) {
			t.Errorf("%s: the error shows the key: %v", name, err)
		}
	}
}
