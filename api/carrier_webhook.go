package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// CarrierWebhookPath is where the carrier posts its tracking callbacks.
const CarrierWebhookPath = "/webhooks/carrier"

func init() {
	for _, reason := range []string{"missing_signature", "bad_signature"} {
		callbacksRefused.WithLabelValues(carrier.Name, reason)
	}
}

// carrierWebhook is POST /webhooks/carrier: one tracking event, signed
// with the shared secret. A verified event goes to its shipment's workflow
// as a signal, which applies it once and in order; an event for a shipment
// that has ended (or that never was ours) is acknowledged and dropped, so
// the carrier stops retrying it. Anything else that fails is a 503 the
// carrier retries.
func (s *Server) carrierWebhook(w http.ResponseWriter, r *http.Request) {
	body, p := httpx.ReadBody(w, r) // the signature covers its bytes
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	err := carrier.Verify([]byte(s.Callbacks.CarrierSecret), r.Header.Get(carrier.SignatureHeader), body, time.Now())
	switch {
	case errors.Is(err, carrier.ErrNoSignature):
		callbacksRefused.WithLabelValues(carrier.Name, "missing_signature").Inc()
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, carrier.SignatureHeader+" is missing"))
		return
	case err != nil:
		s.Logger.Warn("refused a carrier callback", "request_id", httpx.RequestID(r.Context()), "error", err)
		callbacksRefused.WithLabelValues(carrier.Name, "bad_signature").Inc()
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, carrier.SignatureHeader+": "+err.Error()))
		return
	}
	var ev carrier.TrackingEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Reference == "" || ev.Sequence < 1 || !orders.ShipmentStatus(ev.Status).Left() {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest,
			"want a tracking event with reference, sequence (from 1) and a status a parcel reaches once picked up"))
		return
	}
	// The reference names a shipment's or a return's workflow, and
	// nothing else.
	err = &serviceerror.NotFound{}
	if strings.HasPrefix(ev.Reference, orders.ShipmentIDPrefix) || strings.HasPrefix(ev.Reference, orders.ReturnIDPrefix) {
		err = s.Temporal.SignalWorkflow(r.Context(), ev.Reference, "", workflows.SignalTracking, ev)
	}
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		s.Logger.Info("carrier callback for no running shipment", "shipment_id", ev.Reference, "event_id", ev.ID, "status", ev.Status)
	case err != nil:
		s.Logger.Error("carrier callback not passed on", "shipment_id", ev.Reference, "event_id", ev.ID, "error", err)
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, "the shipment could not be told; retry"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
