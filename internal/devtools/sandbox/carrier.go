package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/domain/carrier"
)

// The carrier books parcels (POST /carrier/v1/shipments, with an
// Idempotency-Key), serves their labels, cancels them before pickup, and
// reports each move to the tracking callback URL, signed with the shared
// secret (carrier.Sign) and retried until the receiver answers 2xx, as
// carriers do. Parcels move only when told to:
// POST /_sandbox/carrier/shipments/{id}/advance.

// carrierShipment is a parcel and the events it has reported.
type carrierShipment struct {
	carrier.Shipment
	From   string                  `json:"from"`
	Items  []carrier.Line          `json:"items"`
	Events []carrier.TrackingEvent `json:"events"`
}

// carrierNext is where advance takes a parcel by default.
var carrierNext = map[string]string{
	carrier.StatusBooked:         carrier.StatusInTransit,
	carrier.StatusInTransit:      carrier.StatusOutForDelivery,
	carrier.StatusOutForDelivery: carrier.StatusDelivered,
	carrier.StatusException:      carrier.StatusOutForDelivery,
}

// carrierMovable are the statuses advance can take a parcel to.
var carrierMovable = []string{carrier.StatusInTransit, carrier.StatusOutForDelivery, carrier.StatusDelivered,
	carrier.StatusException, carrier.StatusLost}

func (s *Sandbox) carrierRoutes(r *mux.Router) {
	// A label is fetched by whatever prints it: its URL is the secret.
	r.HandleFunc("/carrier/v1/shipments/{id}/label", s.getLabel).Methods(http.MethodGet)
	api := r.PathPrefix("/carrier/v1").Subrouter()
	api.Use(s.gate(ProviderCarrier, func(w http.ResponseWriter, status int) {
		writePaymentError(w, status, "sandbox_fault", faultMessage(status))
	}), s.carrierAuth)
	api.HandleFunc("/shipments", s.idempotent(s.bookShipment)).Methods(http.MethodPost)
	api.HandleFunc("/shipments/{id}", s.getCarrierShipment).Methods(http.MethodGet)
	api.HandleFunc("/shipments/{id}/cancel", s.idempotent(s.cancelShipment)).Methods(http.MethodPost)
}

// carrierAuth asks for the API key as a bearer token, when one is set.
func (s *Sandbox) carrierAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.carrierAPIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.carrierAPIKey {
			writePaymentError(w, http.StatusUnauthorized, "unauthorized", "Authorization: Bearer <API key> is missing or wrong.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bookShipment runs under s.mu (see idempotent).
func (s *Sandbox) bookShipment(r *http.Request, body []byte, _ string) (int, any) {
	var req carrier.BookRequest
	if err := decodeJSON(body, &req); err != nil {
		return paymentFailure(http.StatusBadRequest, "invalid_request", err.Error())
	}
	if req.Reference == "" || req.From == "" || len(req.Items) == 0 {
		return paymentFailure(http.StatusBadRequest, "invalid_request", "reference, from and items are required")
	}
	id := newID("shp_", 8)
	sh := &carrierShipment{
		Shipment: carrier.Shipment{ID: id, Reference: req.Reference, TrackingNumber: "SP" + strings.ToUpper(newID("", 6)) + "GB",
			LabelURL: baseURL(r) + "/carrier/v1/shipments/" + id + "/label", Status: carrier.StatusBooked, CreatedAt: s.now().UTC()},
		From: req.From, Items: req.Items,
	}
	s.ledger.shipments[id] = sh
	s.log.Info("sandbox: parcel booked", "provider", ProviderCarrier, "id", id, "reference", req.Reference)
	return http.StatusCreated, sh.Shipment
}

// cancelShipment runs under s.mu (see idempotent).
func (s *Sandbox) cancelShipment(r *http.Request, _ []byte, _ string) (int, any) {
	sh, ok := s.ledger.shipments[mux.Vars(r)["id"]]
	switch {
	case !ok:
		return paymentFailure(http.StatusNotFound, "not_found", "no such shipment")
	case sh.Status != carrier.StatusBooked && sh.Status != carrier.StatusCancelled:
		return paymentFailure(http.StatusConflict, carrier.CodePickedUp, "the parcel is "+sh.Status+": it was picked up")
	}
	sh.Status = carrier.StatusCancelled
	return http.StatusOK, sh.Shipment
}

func (s *Sandbox) getCarrierShipment(w http.ResponseWriter, r *http.Request) {
	sh, ok := s.CarrierShipment(mux.Vars(r)["id"])
	if !ok {
		writePaymentError(w, http.StatusNotFound, "not_found", "no such shipment")
		return
	}
	writeJSON(w, http.StatusOK, sh.Shipment)
}

// getLabel serves a parcel's label, as plain text: what a printer would get.
func (s *Sandbox) getLabel(w http.ResponseWriter, r *http.Request) {
	sh, ok := s.CarrierShipment(mux.Vars(r)["id"])
	if !ok {
		writePaymentError(w, http.StatusNotFound, "not_found", "no such shipment")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(carrier.Name + "\nFROM " + sh.From + "\nREF  " + sh.Reference + "\n\n  " + sh.TrackingNumber + "\n"))
}

// CarrierShipment returns the parcel the carrier booked as id.
func (s *Sandbox) CarrierShipment(id string) (carrierShipment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.ledger.shipments[id]
	if !ok {
		return carrierShipment{}, false
	}
	c := *sh
	c.Events = slices.Clone(sh.Events)
	return c, true
}

// AdvanceShipment moves a parcel to status to ("" for its next one),
// records the event and reports it to the tracking callback URL.
func (s *Sandbox) AdvanceShipment(id, to string) (carrier.TrackingEvent, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh, ok := s.ledger.shipments[id]
	if !ok {
		return carrier.TrackingEvent{}, http.StatusNotFound, "no such shipment"
	}
	if to == "" {
		to = carrierNext[sh.Status]
	}
	switch {
	case to == "":
		return carrier.TrackingEvent{}, http.StatusConflict, "the parcel is " + sh.Status + ": it goes nowhere from there"
	case !slices.Contains(carrierMovable, to):
		return carrier.TrackingEvent{}, http.StatusBadRequest, "to must be one of " + strings.Join(carrierMovable, ", ")
	}
	ev := carrier.TrackingEvent{ID: newID("evt_", 8), ShipmentID: sh.ID, Reference: sh.Reference, Status: to,
		Sequence: len(sh.Events) + 1, OccurredAt: s.now().UTC()}
	sh.Status = to
	sh.Events = append(sh.Events, ev)
	if s.stateFile != "" {
		if err := saveLedger(s.stateFile, s.ledger); err != nil {
			s.log.Error("sandbox could not save its state", "file", s.stateFile, "error", err)
		}
	}
	s.inBackground(func(ctx context.Context) { s.postTrackingEvent(ctx, ev) })
	return ev, http.StatusOK, ""
}

func (s *Sandbox) advanceShipment(w http.ResponseWriter, r *http.Request) {
	var req struct {
		To string `json:"to"`
	}
	if r.ContentLength != 0 {
		if err := readJSON(w, r, &req); err != nil {
			writeProblem(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	ev, status, problem := s.AdvanceShipment(mux.Vars(r)["id"], req.To)
	if problem != "" {
		writeProblem(w, status, problem)
		return
	}
	writeJSON(w, status, ev)
}

func (s *Sandbox) listCarrierShipments(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	list := make([]carrierShipment, 0, len(s.ledger.shipments))
	for _, sh := range s.ledger.shipments {
		list = append(list, *sh)
	}
	s.mu.Unlock()
	slices.SortFunc(list, func(a, b carrierShipment) int { return a.CreatedAt.Compare(b.CreatedAt) })
	writeJSON(w, http.StatusOK, list)
}

// postTrackingEvent posts ev to the tracking callback URL until the
// receiver acknowledges it (2xx), refuses it for good (4xx but 408 and 429),
// or the sandbox closes, backing off from a
// quarter of a second to ten; each attempt is signed afresh.
func (s *Sandbox) postTrackingEvent(ctx context.Context, ev carrier.TrackingEvent) {
	if s.carrierCallbackURL == "" {
		return
	}
	body, _ := json.Marshal(ev) // plain strings, numbers and times always encode
	wait := 250 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.carrierCallbackURL, strings.NewReader(string(body)))
		if err != nil {
			s.log.Warn("sandbox: bad tracking callback URL", "provider", ProviderCarrier, "url", s.carrierCallbackURL, "error", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(carrier.SignatureHeader, carrier.Sign(s.carrierSecret, s.now(), body))
		if status := s.postCallback(ProviderCarrier, req); acknowledged(status) ||
			status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
			return // acknowledged, or refused for good (a carrier gives up too)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// baseURL is the sandbox's URL as the request reached it, for the links it
// hands out.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
