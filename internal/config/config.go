// Package config reads the process configuration from the environment
// (12-factor). Every variable has a default that runs against the local stack
// started by `orderflow dev`, so a fresh clone needs no configuration at all.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is the whole configuration of every role; each role reads what it needs.
type Config struct {
	LogLevel string

	DatabaseURL       string
	RedisAddr         string
	RedisPassword     string
	TemporalAddress   string
	TemporalNamespace string
	KafkaBrokers      []string

	APIAddr      string
	FrontendAddr string
	APIURL       string
	OpsAddr      string
	SandboxAddr  string

	PaymentsURL      string
	SendGridAPIKey   string
	SendGridBaseURL  string
	EmailFrom        string
	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioBaseURL    string
	TwilioFrom       string

	// ShutdownTimeout is how long a role drains in-flight work after SIGTERM.
	ShutdownTimeout time.Duration
}

// Default returns the configuration of the local stack.
func Default() Config {
	return Config{
		LogLevel:          "info",
		DatabaseURL:       "postgres://orderflow:orderflow@127.0.0.1:5432/orderflow?sslmode=disable",
		RedisAddr:         "127.0.0.1:6379",
		TemporalAddress:   "127.0.0.1:7233",
		TemporalNamespace: "default",
		KafkaBrokers:      []string{"127.0.0.1:9092"},
		APIAddr:           "127.0.0.1:8080",
		FrontendAddr:      "127.0.0.1:3000",
		APIURL:            "http://127.0.0.1:8080",
		OpsAddr:           "127.0.0.1:9090",
		SandboxAddr:       "127.0.0.1:4010",
		PaymentsURL:       "http://127.0.0.1:4010",
		// The sandbox accepts any key; real keys come from a secret store.
		SendGridAPIKey:   "SG.sandbox",
		SendGridBaseURL:  "http://127.0.0.1:4010",
		EmailFrom:        "orders@orderflow.local",
		TwilioAccountSID: "AC00000000000000000000000000000000",
		TwilioAuthToken:  "sandbox-token",
		TwilioBaseURL:    "http://127.0.0.1:4010",
		TwilioFrom:       "+15005550006",
		ShutdownTimeout:  30 * time.Second,
	}
}

// Load returns Default overridden by the environment.
func Load() (Config, error) {
	return FromLookup(os.LookupEnv)
}

// FromLookup is Load with an injectable environment, for tests.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	str("LOG_LEVEL", &c.LogLevel)
	str("DATABASE_URL", &c.DatabaseURL)
	str("REDIS_ADDR", &c.RedisAddr)
	str("REDIS_PASSWORD", &c.RedisPassword)
	str("TEMPORAL_ADDRESS", &c.TemporalAddress)
	str("TEMPORAL_NAMESPACE", &c.TemporalNamespace)
	str("API_ADDR", &c.APIAddr)
	str("FRONTEND_ADDR", &c.FrontendAddr)
	str("API_URL", &c.APIURL)
	str("OPS_ADDR", &c.OpsAddr)
	str("SANDBOX_ADDR", &c.SandboxAddr)
	str("PAYMENTS_URL", &c.PaymentsURL)
	str("SENDGRID_API_KEY", &c.SendGridAPIKey)
	str("SENDGRID_BASE_URL", &c.SendGridBaseURL)
	str("EMAIL_FROM", &c.EmailFrom)
	str("TWILIO_ACCOUNT_SID", &c.TwilioAccountSID)
	str("TWILIO_AUTH_TOKEN", &c.TwilioAuthToken)
	str("TWILIO_BASE_URL", &c.TwilioBaseURL)
	str("TWILIO_FROM", &c.TwilioFrom)
	if v, ok := lookup("KAFKA_BROKERS"); ok {
		c.KafkaBrokers = splitList(v)
	}
	if v, ok := lookup("SHUTDOWN_TIMEOUT"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("SHUTDOWN_TIMEOUT=%q: want a positive duration such as 30s", v)
		}
		c.ShutdownTimeout = d
	}
	return c, c.validate()
}

func (c Config) validate() error {
	if len(c.KafkaBrokers) == 0 {
		return fmt.Errorf("KAFKA_BROKERS is empty: want host:port[,host:port]")
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
