package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// healthcheck is `orderflow healthcheck URL`: a container's healthcheck,
// since the image has no shell or curl. It succeeds when URL (the role's
// own /readyz on its ops port) answers 200 within 3 s.
func healthcheck(args []string) error {
	if len(args) != 1 {
		return errors.New("healthcheck: want one URL, e.g. http://127.0.0.1:9090/readyz")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", args[0], resp.Status)
	}
	return nil
}
