package devstack

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// HTTPReady returns a probe that succeeds once url answers 200 OK: a role's
// /readyz, Prometheus's /-/ready, Jaeger's health check.
func HTTPReady(url string) func(context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(url + " answered " + resp.Status + ": " + string(body))
		}
		return nil
	}
}
