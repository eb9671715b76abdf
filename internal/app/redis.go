package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/tlsx"
)

// redisOptions are the client options of REDIS_URL (go-redis's own
// parser: user, password, database, TLS for rediss://), with the CA and
// client certificate of the REDIS_TLS_* files for a rediss:// server.
//
// Every caller fails open or degrades without Redis (rate limits, circuit
// breakers, the stock cache), so a Redis that hangs must fail fast, not
// hold each request for go-redis's default 5 s dial and 3 s reads: calls
// honour their context's deadline, and the socket timeouts are short.
func redisOptions(cfg config.Redis) (*redis.Options, error) {
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		// The parse error may quote the URL, password included: say less.
		return nil, errors.New("REDIS_URL is not a valid Redis URL: want redis://[[user]:password@]host:port[/db], or rediss:// for TLS")
	}
	opts.ContextTimeoutEnabled = true
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	if opts.TLSConfig == nil {
		return opts, nil
	}
	tlsCfg, err := tlsx.ClientConfig(redisTLSFiles(cfg))
	if err != nil {
		return nil, err
	}
	tlsCfg.ServerName = opts.TLSConfig.ServerName // the URL's host, as ParseURL sets it
	opts.TLSConfig = tlsCfg
	return opts, nil
}

func redisTLSFiles(cfg config.Redis) tlsx.Files {
	return tlsx.Files{
		CA:   tlsx.Setting{Name: "REDIS_TLS_SERVER_CA_CERT_PATH", Value: cfg.RedisTLSServerCACertPath},
		Cert: tlsx.Setting{Name: "REDIS_TLS_CLIENT_CERT_PATH", Value: cfg.RedisTLSClientCertPath},
		Key:  tlsx.Setting{Name: "REDIS_TLS_CLIENT_KEY_PATH", Value: cfg.RedisTLSClientKeyPath},
	}
}

// checkRedisTLS fails the start, in one line naming the setting, when a
// rediss:// server refuses our TLS; the client would otherwise fail every
// command behind a failing readiness. A server that cannot be reached is
// no error: it may start after us.
func checkRedisTLS(ctx context.Context, opts *redis.Options, cfg config.Redis) error {
	if opts.TLSConfig == nil {
		return nil
	}
	redisAt := fmt.Sprintf("Redis at %s (REDIS_URL)", opts.Addr)
	return tlsx.Probe(ctx, opts.Addr, opts.TLSConfig, redisTLSFiles(cfg).Names(redisAt, "REDIS_URL's rediss://", "the host of REDIS_URL"))
}
