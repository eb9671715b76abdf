// Package carrier is the client of the parcel carrier's API (the sandbox's
// in development): book a shipment with an idempotency key, get its label
// and tracking number, cancel it before pickup. The carrier reports each
// parcel's progress by tracking callbacks, signed as Sign describes.
package carrier

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// Name is the carrier's name on shipments.
const Name = "sandbox-post"

// Statuses a carrier reports, in the order a parcel usually goes through
// them; exception and lost can follow any status a parcel has left with.
const (
	StatusBooked         = "booked"
	StatusInTransit      = "in_transit"
	StatusOutForDelivery = "out_for_delivery"
	StatusDelivered      = "delivered"
	StatusException      = "exception"
	StatusLost           = "lost"
	StatusCancelled      = "cancelled"
)

// Line is a quantity of one SKU in a parcel.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// BookRequest books a parcel from a warehouse. Reference is our shipment:
// tracking callbacks name it.
type BookRequest struct {
	IdempotencyKey string `json:"-"`
	Reference      string `json:"reference"`
	From           string `json:"from"`
	Items          []Line `json:"items"`
}

// Shipment is a booked parcel.
type Shipment struct {
	ID             string    `json:"id"`
	Reference      string    `json:"reference"`
	TrackingNumber string    `json:"tracking_number"`
	LabelURL       string    `json:"label_url"`
	Status         string    `json:"status"`
	CreatedAt      time.Time `json:"created_at"`
}

// TrackingEvent is one callback: where a parcel is now. Sequence numbers a
// shipment's events from 1, so a receiver can tell a late or repeated one.
type TrackingEvent struct {
	ID         string    `json:"id"`
	ShipmentID string    `json:"shipment_id"`
	Reference  string    `json:"reference"`
	Status     string    `json:"status"`
	Sequence   int       `json:"sequence"`
	OccurredAt time.Time `json:"occurred_at"`
}

// RefusedError is the carrier refusing a request for good (a 4xx other than
// 401, 403, 408 and 429): a cancel after pickup, an unknown shipment, a key
// reused.
type RefusedError struct {
	Status  int
	Code    string
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("carrier refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// CodePickedUp is the refusal of a cancel that came after the pickup.
const CodePickedUp = "already_picked_up"

// Client talks to the carrier's JSON API.
type Client struct {
	baseURL string
	apiKey  string
	http    *http.Client
}

// NewClient returns a client of the carrier at baseURL, authenticated by
// apiKey. A nil httpClient gets a 10 s timeout.
func NewClient(baseURL, apiKey string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: httpClient}
}

// Book books a parcel; the same key returns the same booking.
func (c *Client) Book(ctx context.Context, req BookRequest) (Shipment, error) {
	var sh Shipment
	err := c.post(ctx, "/carrier/v1/shipments", req.IdempotencyKey, req, &sh)
	return sh, err
}

// Cancel cancels a parcel not picked up yet; cancelling a cancelled one
// succeeds. After the pickup it is a *RefusedError with CodePickedUp.
func (c *Client) Cancel(ctx context.Context, shipmentID, idempotencyKey string) (Shipment, error) {
	var sh Shipment
	err := c.post(ctx, "/carrier/v1/shipments/"+url.PathEscape(shipmentID)+"/cancel", idempotencyKey, nil, &sh)
	return sh, err
}

func (c *Client) post(ctx context.Context, path, idempotencyKey string, in, out any) error {
	req, err := httpx.NewIdempotentPost(ctx, c.baseURL+path, idempotencyKey, in)
	if err != nil {
		return fmt.Errorf("carrier: POST %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("carrier: POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("carrier: POST %s: reading answer: %w", path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		// 401 and 403 are retried too: a key being rotated, which an
		// operator fixes, must not fail every parcel booked meanwhile.
		transient := resp.StatusCode >= 500 || slices.Contains([]int{http.StatusRequestTimeout, http.StatusTooManyRequests,
			http.StatusUnauthorized, http.StatusForbidden}, resp.StatusCode)
		if !transient {
			return &RefusedError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
		}
		return fmt.Errorf("carrier: POST %s: answered %d: %s", path, resp.StatusCode, cmp.Or(e.Error.Message, strings.TrimSpace(string(raw))))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("carrier: POST %s: decoding answer: %w", path, err)
	}
	return nil
}

// IsPickedUp reports whether err is the carrier refusing a cancel because
// the parcel has left.
func IsPickedUp(err error) bool {
	var refused *RefusedError
	return errors.As(err, &refused) && refused.Code == CodePickedUp
}
