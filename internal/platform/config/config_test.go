package config

import (
	"encoding/base64"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func lookup(env map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestDefaultsRunTheLocalStack(t *testing.T) {
	c, err := Load[Stack](lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	// Temporal's address is the profile's, else the SDK's localhost:7233.
	if c.APIAddr != "127.0.0.1:8080" || c.TemporalAddress != "" || c.KafkaBrokers[0] != "127.0.0.1:9092" ||
		c.ShutdownTimeout != 30*time.Second || c.Environment.Environment != Development {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	c, err := Load[NotificationsWorker](lookup(map[string]string{
		"KAFKA_BROKERS":     "ignored: not a setting of this role",
		"SENDGRID_BASE_URL": "https://api.sendgrid.com",
		"SHUTDOWN_TIMEOUT":  "5s",
		"BREAKER_FAILURES":  "3",
		"BREAKER_OPEN_FOR":  "10s",
		"TWILIO_FROM":       "", // empty is unset: the default
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SendGridBaseURL != "https://api.sendgrid.com" || c.ShutdownTimeout != 5*time.Second || c.BreakerFailures != 3 ||
		c.BreakerOpenFor != 10*time.Second || c.TwilioFrom != "+15005550006" {
		t.Fatalf("got %+v", c)
	}
	k, err := Load[Kafka](lookup(map[string]string{"KAFKA_BROKERS": " k1:9092, k2:9092 ,"}))
	if err != nil || strings.Join(k.KafkaBrokers, ",") != "k1:9092,k2:9092" {
		t.Fatalf("brokers %q, %v", k.KafkaBrokers, err)
	}
}

func TestFrontDoorSettings(t *testing.T) {
	c, err := Load[API](lookup(map[string]string{
		"RATE_LIMIT_PER_MINUTE": "0",
		"TRUSTED_PROXIES":       " 10.1.2.3/8, ::1 ",
		"CORS_ALLOWED_ORIGINS":  "https://dash.example.com",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Prefixes{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if c.RateLimitPerMinute != 0 || !reflect.DeepEqual(c.TrustedProxies, want) || !reflect.DeepEqual(c.CORSAllowedOrigins, Origins{"https://dash.example.com"}) {
		t.Fatalf("got limit %d, proxies %v, origins %q", c.RateLimitPerMinute, c.TrustedProxies, c.CORSAllowedOrigins)
	}
}

func TestInvalidValuesAreRejected(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"duration":    {"SHUTDOWN_TIMEOUT": "soon"},
		"negative":    {"SHUTDOWN_TIMEOUT": "-1s"},
		"brokers":     {"KAFKA_BROKERS": " , "},
		"log level":   {"LOG_LEVEL": "loud"},
		"environment": {"ENVIRONMENT": "staging"},
		"breaker":     {"BREAKER_FAILURES": "0"},
		"open for":    {"BREAKER_OPEN_FOR": "a while"},
		"rate":        {"RATE_LIMIT_PER_MINUTE": "-1"},
		"threshold":   {"APPROVAL_THRESHOLD": "-5"},
		"attempts":    {"LOGIN_ATTEMPTS_PER_IP": "0"},
		"proxies":     {"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"},
		"wildcard":    {"CORS_ALLOWED_ORIGINS": "*"},
		"path":        {"CORS_ALLOWED_ORIGINS": "https://a.example.com/app"},
		"trace store": {"TRACES_QUERY_URL": "jaeger:16686"},
		"payload key": {"PAYLOAD_ENCRYPTION_KEYS": "k1:not base64"},
		"key length":  {"PAYLOAD_ENCRYPTION_KEYS": "k1:c2hvcnQ="},
		"same kid":    {"PAYLOAD_ENCRYPTION_KEYS": "k1:NMtm2w8IL4CobaXGJRcrtpXJQU4x5IgiDK8Ks2qdync=,k1:NMtm2w8IL4CobaXGJRcrtpXJQU4x5IgiDK8Ks2qdync="},
		"ui origins":  {"TEMPORAL_UI_ORIGINS": "*"},
	} {
		_, err := Load[Stack](lookup(env))
		if err == nil {
			t.Errorf("%s: want an error for %v", name, env)
			continue
		}
		for k := range env {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("%s: the error does not name %s: %v", name, k, err)
			}
		}
	}
	if _, err := Load[Dev](lookup(map[string]string{"API_PORT": "70000"})); err == nil {
		t.Error("want an error for a port out of range")
	}
}

// Environ and Load are inverses: a setting missing from Environ would
// silently fall back to its default in the processes dev and the tests start.
func TestEnvironRoundTrips(t *testing.T) {
	want, err := Load[Stack](lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	want.LogLevel, want.DatabaseURL, want.KafkaBrokers = "debug", "postgres://x@db:1/y", List{"k1:1", "k2:2"}
	want.RedisURL, want.PushAPIKey = "rediss://orderflow:secret@cache:6380/2", "push-key"
	want.TemporalAPIKey, want.TemporalTLS, want.TemporalProfile = "api-key", "true", "cloud"
	want.KafkaSASLMechanism, want.KafkaSASLUsername, want.KafkaSASLPassword, want.KafkaTLS = "SCRAM-SHA-512", "relay", "pw", true
	want.SandboxStateFile = "/tmp/sandbox.json"
	want.PayloadEncryptionKeys, want.TemporalUIOrigins = "k2:Kx7Q0m2Wc9Yb4Vn1Tr6Ls3Pd8Fh5Jg0Ae2Uk7Oi9Zq4=,k1:NMtm2w8IL4CobaXGJRcrtpXJQU4x5IgiDK8Ks2qdync=", Origins{"https://temporal.example.com"}
	want.BreakerFailures, want.BreakerOpenFor, want.ApprovalThreshold = 9, 7*time.Second, 1234
	want.ReservationTTL, want.ApprovalTimeout, want.ShutdownTimeout = time.Minute, 2*time.Hour, 3*time.Second
	want.RateLimitPerMinute, want.CORSAllowedOrigins = 42, Origins{"https://dash.example.com", "http://localhost:3000"}
	want.TrustedProxies = Prefixes{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("192.0.2.7/32")}
	empty := Defaults[Stack]()
	empty.TrustedProxies, empty.CORSAllowedOrigins = Prefixes{}, Origins{}
	if got, err := From[Stack](empty); err != nil ||
		len(got.TrustedProxies) != 0 || len(got.CORSAllowedOrigins) != 0 {
		t.Fatalf("an empty list came back as %v, %v (%v): \"none\" must say it", got.TrustedProxies, got.CORSAllowedOrigins, err)
	}

	got, err := From[Stack](want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the settings:\n got %+v\nwant %+v", got, want)
	}
	api, err := From[API](want)
	if err != nil || api.RateLimitPerMinute != 42 || api.DatabaseURL != want.DatabaseURL {
		t.Fatalf("the api's share of the stack: %+v, %v", api, err)
	}
}

// Stack is what dev and the tests hand every role: it must hold every
// setting of every role.
func TestStackHoldsEveryRolesSettings(t *testing.T) {
	stack := map[string]bool{}
	for _, n := range Names(Stack{}) {
		stack[n] = true
	}
	for _, role := range []any{API{}, Frontend{}, OrdersWorker{}, InventoryWorker{}, NotificationsWorker{}, FulfilmentWorker{},
		Migrate{}, Seed{}, InventoryRebuild{}, Sandbox{}, Loadgen{}} {
		for _, n := range Names(role) {
			if !stack[n] {
				t.Errorf("%T reads %s, which Stack does not hold", role, n)
			}
		}
	}
}

// respell is key (standard base64 of 32 bytes) spelt another way that
// decodes to the same bytes: the last character before the padding differs
// in bits the decoder drops.
func respell(t *testing.T, key string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := len(key) - 2 // 32 bytes: 43 characters, then "="
	other := key[:i] + string(alphabet[strings.IndexByte(alphabet, key[i])^1]) + key[i+1:]
	want, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := base64.StdEncoding.DecodeString(other); err != nil || string(got) != string(want) || other == key {
		t.Fatalf("%s is not another spelling of the key: %v", other, err)
	}
	return other
}

// Production refuses the public development values however they are
// dressed up: under another kid, kept as a verify-only key after a rotation,
// with stray spaces, or by leaving the setting empty (its default).
func TestProductionRefusesDevelopmentCredentials(t *testing.T) {
	dev, err := Load[Stack](lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	seed := strings.TrimPrefix(dev.JWTSigningKeys, "dev-1:")
	devPayloadKey := strings.TrimPrefix(dev.PayloadEncryptionKeys, "dev-1:")
	ownPayloadKeys := "2025-01:Kx7Q0m2Wc9Yb4Vn1Tr6Ls3Pd8Fh5Jg0Ae2Uk7Oi9Zq4="
	prod := func(keys, email, password string) map[string]string {
		return map[string]string{"ENVIRONMENT": "production", "JWT_SIGNING_KEYS": keys, "ADMIN_EMAIL": email, "ADMIN_PASSWORD": password,
			"TWILIO_AUTH_TOKEN": "0123456789abcdef0123456789abcdef", "WEBHOOK_SIGNING_SECRET": "whsec_Lr3Vq8Zc1Ny6Tb0Wk4Hs9Pm2Fd7Gj5Xa", "SENDGRID_API_KEY": "SG.real", "PUSH_API_KEY": "pk_real",
			"CARRIER_API_KEY": "ck_real", "CARRIER_WEBHOOK_SECRET": "a real shared secret of the carrier",
			"PAYLOAD_ENCRYPTION_KEYS": ownPayloadKeys}
	}
	withEnv := func(env map[string]string, k, v string) map[string]string { env[k] = v; return env }
	own := "prod-1:n0Jp5KQ3cpBqzC5wNfJ2d1mYq4bS8uVw9xE7aT6hLk0="
	if _, err := Load[Stack](lookup(prod(own, "ops@example.com", "a long admin password"))); err != nil {
		t.Fatalf("real credentials refused: %v", err)
	}
	for name, env := range map[string]map[string]string{
		"default key":             prod(dev.JWTSigningKeys, "ops@example.com", "a long admin password"),
		"dev seed, other kid":     prod("prod:"+seed, "ops@example.com", "a long admin password"),
		"dev key kept to verify":  prod(own+",dev-1:"+seed, "ops@example.com", "a long admin password"),
		"spaces":                  prod(" "+dev.JWTSigningKeys, "ops@example.com", "a long admin password"),
		"no key":                  prod("", "ops@example.com", "a long admin password"),
		"demo admin password":     prod(own, "ops@example.com", dev.AdminPassword),
		"demo admin email":        prod(own, strings.ToUpper(dev.AdminEmail), "a long admin password"),
		"no Twilio token":         withEnv(prod(own, "ops@example.com", "a long admin password"), "TWILIO_AUTH_TOKEN", ""),
		"sandbox webhook secret":  withEnv(prod(own, "ops@example.com", "a long admin password"), "WEBHOOK_SIGNING_SECRET", dev.WebhookSigningSecret),
		"dev payload key":         withEnv(prod(own, "ops@example.com", "a long admin password"), "PAYLOAD_ENCRYPTION_KEYS", dev.PayloadEncryptionKeys),
		"dev payload key kept":    withEnv(prod(own, "ops@example.com", "a long admin password"), "PAYLOAD_ENCRYPTION_KEYS", ownPayloadKeys+",old:"+devPayloadKey),
		"no payload key":          withEnv(prod(own, "ops@example.com", "a long admin password"), "PAYLOAD_ENCRYPTION_KEYS", ""),
		"dev payload key respelt": withEnv(prod(own, "ops@example.com", "a long admin password"), "PAYLOAD_ENCRYPTION_KEYS", ownPayloadKeys+",old:"+respell(t, devPayloadKey)),
		"dev payload key wrapped": withEnv(prod(own, "ops@example.com", "a long admin password"), "PAYLOAD_ENCRYPTION_KEYS", "old:"+devPayloadKey[:20]+"\n"+devPayloadKey[20:]),
		"dev seed respelt":        prod("prod:"+respell(t, seed), "ops@example.com", "a long admin password"),
	} {
		if _, err := Load[Stack](lookup(env)); err == nil {
			t.Errorf("%s: accepted in production", name)
		} else if strings.Contains(err.Error(), seed) || strings.Contains(err.Error(), devPayloadKey) {
			t.Errorf("%s: the error shows the key: %v", name, err)
		}
	}
	// A worker runs in production on its own payload keys, never on the
	// development one; the notifications worker needs the providers' real
	// credentials too.
	if _, err := Load[OrdersWorker](lookup(map[string]string{"ENVIRONMENT": "production", "PAYLOAD_ENCRYPTION_KEYS": ownPayloadKeys})); err != nil {
		t.Fatal(err)
	}
	for _, worker := range []func(Lookup) error{
		func(l Lookup) error { _, err := Load[OrdersWorker](l); return err },
		func(l Lookup) error { _, err := Load[InventoryWorker](l); return err },
	} {
		if err := worker(lookup(map[string]string{"ENVIRONMENT": "production"})); err == nil || !strings.Contains(err.Error(), "PAYLOAD_ENCRYPTION_KEYS") {
			t.Fatalf("a worker ran in production on the development payload key: %v", err)
		}
	}
	if _, err := Load[NotificationsWorker](lookup(map[string]string{"ENVIRONMENT": "production"})); err == nil {
		t.Fatal("the notifications worker ran in production on the sandbox credentials")
	}
}
