package loadgen

import (
	"context"
	"net/http"
	"strconv"
)

// reads hammers the read path's pair, one after the other, for
// Options.Read each: an order as its customer reads it, then the server's
// static JSON (the signing keys), which costs the server only its
// middleware. Both carry the customer's token, so what differs is the
// order's read alone; the order's phase is a ratio of the static one's.
func (r runner) reads(ctx context.Context, c *caller, orderID string) ([]Phase, error) {
	var phases []Phase
	for _, route := range []struct{ name, path string }{
		{"read-order", "/api/orders/" + orderID},
		{"read-static", "/api/auth/jwks.json"},
	} {
		p, err := r.phase(ctx, route.name, "request", 0, func(ctx context.Context, _ int) sample { return get(ctx, c, route.path) }, nil)
		if err != nil {
			return nil, err
		}
		phases = append(phases, p.Phase)
	}
	phases[0].compare(phases[1])
	return phases, nil
}

// get is one GET of path: a unit of a read phase.
func get(ctx context.Context, c *caller, path string) sample {
	resp, err := c.send(ctx, c.http, http.MethodGet, path, nil, nil)
	if err != nil {
		return sample{err: err}
	}
	if err := decode(resp, http.StatusOK, nil); err != nil {
		return sample{err: err}
	}
	return sample{status: strconv.Itoa(resp.StatusCode)}
}
