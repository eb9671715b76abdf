package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/carrier"
)

// The carrier books once per key, cancels only before pickup, and reports
// every move, signed, until the receiver acknowledges it.
func TestCarrierBooksTracksAndRetriesCallbacks(t *testing.T) {
	secret := []byte("carrier-secret")
	var refusals atomic.Int32
	refusals.Store(2) // the receiver refuses its first two callbacks
	received := make(chan carrier.TrackingEvent, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if carrier.Verify(secret, r.Header.Get(carrier.SignatureHeader), body, time.Now()) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if refusals.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev carrier.TrackingEvent
		require.NoError(t, json.Unmarshal(body, &ev))
		received <- ev
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	sb := sandbox.New(sandbox.Options{Logger: slog.New(slog.DiscardHandler), CarrierAPIKey: "key",
		CarrierCallbackURL: hook.URL, CarrierSigningSecret: string(secret)})
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	ctx := context.Background()

	_, err := carrier.NewClient(srv.URL, "wrong", nil).Book(ctx, carrier.BookRequest{IdempotencyKey: "k0", Reference: "r", From: "eu-west", Items: []carrier.Line{{SKU: "A", Quantity: 1}}})
	require.ErrorContains(t, err, "answered 401", "a wrong key is retried: it is being rotated")
	var refused *carrier.RefusedError
	require.NotErrorAs(t, err, &refused)

	c := carrier.NewClient(srv.URL, "key", nil)
	req := carrier.BookRequest{IdempotencyKey: "k1", Reference: "shp-1", From: "eu-west", Items: []carrier.Line{{SKU: "A", Quantity: 2}}}
	first, err := c.Book(ctx, req)
	require.NoError(t, err)
	again, err := c.Book(ctx, req)
	require.NoError(t, err)
	require.Equal(t, first, again, "the same key books once")
	require.Equal(t, carrier.StatusBooked, first.Status)
	require.NotEmpty(t, first.TrackingNumber)
	label, err := http.Get(first.LabelURL)
	require.NoError(t, err)
	body, _ := io.ReadAll(label.Body)
	label.Body.Close()
	require.Contains(t, string(body), first.TrackingNumber)

	ev, status, _ := sb.AdvanceShipment(first.ID, "")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, carrier.TrackingEvent{ID: ev.ID, ShipmentID: first.ID, Reference: "shp-1", Status: carrier.StatusInTransit,
		Sequence: 1, OccurredAt: ev.OccurredAt}, ev)
	select {
	case got := <-received:
		require.Equal(t, ev, got, "delivered after two refusals")
	case <-time.After(5 * time.Second):
		t.Fatal("the callback was not retried until acknowledged")
	}

	_, err = c.Cancel(ctx, first.ID, "cancel-1")
	require.True(t, carrier.IsPickedUp(err), "a parcel in transit cannot be cancelled: %v", err)

	_, status, problem := sb.AdvanceShipment(first.ID, "booked")
	require.Equal(t, http.StatusBadRequest, status, problem)
	_, status, _ = sb.AdvanceShipment(first.ID, carrier.StatusLost)
	require.Equal(t, http.StatusOK, status)
	_, status, _ = sb.AdvanceShipment(first.ID, "")
	require.Equal(t, http.StatusConflict, status, "a lost parcel goes nowhere")

	other, err := c.Book(ctx, carrier.BookRequest{IdempotencyKey: "k2", Reference: "shp-2", From: "us-east", Items: []carrier.Line{{SKU: "B", Quantity: 1}}})
	require.NoError(t, err)
	cancelled, err := c.Cancel(ctx, other.ID, "cancel-2")
	require.NoError(t, err)
	require.Equal(t, carrier.StatusCancelled, cancelled.Status)
}
