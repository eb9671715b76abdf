package config

import (
	"errors"
	"fmt"
	"net/url"
)

// Redis holds caches, rate-limit counters and the shared circuit breakers.
type Redis struct {
	// RedisURL is redis://[[user]:password@]host:port[/db], or rediss://
	// for TLS (go-redis's ParseURL): an ACL user signs in with its name and
	// password, a server with only requirepass with ":password@". It holds
	// the password, so it is a secret like DATABASE_URL.
	RedisURL string `env:"REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	// RedisTLSServerCACertPath is the CA (a PEM file) that signs a rediss://
	// server's certificate, when the system's roots do not; a client
	// certificate and its key (PEM files) are for a server that asks for
	// one (redis-server's tls-auth-clients, on by default).
	RedisTLSServerCACertPath string `env:"REDIS_TLS_SERVER_CA_CERT_PATH"`
	RedisTLSClientCertPath   string `env:"REDIS_TLS_CLIENT_CERT_PATH"`
	RedisTLSClientKeyPath    string `env:"REDIS_TLS_CLIENT_KEY_PATH"`
}

// Validate checks the URL without quoting it (it may hold a password), and
// that TLS files come with TLS, a certificate with its key.
func (c Redis) Validate() error {
	u, err := url.Parse(c.RedisURL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return errors.New("REDIS_URL is not a Redis URL: want redis://[[user]:password@]host:port[/db], or rediss:// for TLS")
	}
	var errs []error
	if _, hasPassword := u.User.Password(); u.User.Username() != "" && !hasPassword {
		errs = append(errs, fmt.Errorf("REDIS_URL names the user %q without a password: want rediss://user:password@host:port", u.User.Username()))
	}
	if u.Scheme != "rediss" {
		for _, s := range []setting{{"REDIS_TLS_SERVER_CA_CERT_PATH", c.RedisTLSServerCACertPath},
			{"REDIS_TLS_CLIENT_CERT_PATH", c.RedisTLSClientCertPath}, {"REDIS_TLS_CLIENT_KEY_PATH", c.RedisTLSClientKeyPath}} {
			if s.value != "" {
				errs = append(errs, fmt.Errorf("%s is set, but REDIS_URL is redis://, without TLS: use rediss://", s.name))
			}
		}
	}
	if (c.RedisTLSClientCertPath == "") != (c.RedisTLSClientKeyPath == "") {
		errs = append(errs, errors.New("REDIS_TLS_CLIENT_CERT_PATH and REDIS_TLS_CLIENT_KEY_PATH go together: a client certificate needs its key"))
	}
	return errors.Join(errs...)
}
