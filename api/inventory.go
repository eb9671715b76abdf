package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// inventoryRoutes mounts the inventory service's endpoints on the /api router.
func (s *Server) inventoryRoutes(a *mux.Router) {
	handle(a, http.MethodGet, "/products/{sku}", auth.Public, s.getProduct)
	handle(a, http.MethodGet, "/inventory/{sku}", auth.Signed, s.getStock)
	// The ledger and reservations are the operators'.
	handle(a, http.MethodGet, "/inventory/{sku}/events", auth.Admin, s.listStockEvents)
	handle(a, http.MethodGet, "/reservations/{id}", auth.Admin, s.getReservation)
	handle(a, http.MethodPost, "/inventory/{sku}/adjustments", auth.Admin, s.adjustStock)
}

// getStock answers a SKU's stock per warehouse and in total, from the Redis
// cache that every stock change invalidates.
func (s *Server) getStock(w http.ResponseWriter, r *http.Request) {
	sku := mux.Vars(r)["sku"]
	level, err := s.Inventory.StockLevel(r.Context(), sku)
	switch {
	case errors.Is(err, inventory.ErrUnknownSKU):
		httpx.WriteProblem(w, r, unknownSKU(sku))
	case err != nil:
		s.internalError(w, r, "could not read the stock", err, "sku", sku)
	default:
		httpx.WriteJSON(w, http.StatusOK, level)
	}
}

const (
	maxAdjustment      = 1_000_000
	maxReasonLength    = 500
	maxWarehouseLength = 100
)

type adjustmentRequest struct {
	Warehouse string `json:"warehouse"`
	Delta     int    `json:"delta"`
	Reason    string `json:"reason"`
}

func (req adjustmentRequest) validate() *httpx.Problem {
	var errs []httpx.FieldError
	switch {
	case strings.TrimSpace(req.Warehouse) == "":
		errs = append(errs, httpx.FieldError{Field: "warehouse", Detail: "is required"})
	case len(req.Warehouse) > maxWarehouseLength:
		errs = append(errs, httpx.FieldError{Field: "warehouse", Detail: fmt.Sprintf("must be at most %d characters", maxWarehouseLength)})
	}
	if req.Delta == 0 || req.Delta < -maxAdjustment || req.Delta > maxAdjustment {
		errs = append(errs, httpx.FieldError{Field: "delta", Detail: fmt.Sprintf("must be a non-zero integer from %d to %d", -maxAdjustment, maxAdjustment)})
	}
	switch {
	case strings.TrimSpace(req.Reason) == "":
		errs = append(errs, httpx.FieldError{Field: "reason", Detail: "is required: the ledger says why stock changed"})
	case len(req.Reason) > maxReasonLength:
		errs = append(errs, httpx.FieldError{Field: "reason", Detail: fmt.Sprintf("must be at most %d characters", maxReasonLength)})
	}
	if len(errs) > 0 {
		return validationProblem(errs)
	}
	return nil
}

// adjustStock changes a SKU's on-hand stock in one warehouse (admin): a
// positive delta receives goods, a negative one corrects the count, but never
// below what orders hold. With an Idempotency-Key, a repeat returns the first
// adjustment instead of applying it twice.
func (s *Server) adjustStock(w http.ResponseWriter, r *http.Request) {
	sku := mux.Vars(r)["sku"]
	key, ok := idempotencyKey(w, r)
	if !ok {
		return
	}
	var req adjustmentRequest
	if !decodeValid(w, r, &req) {
		return
	}
	ev, err := s.Inventory.Adjust(r.Context(), inventory.Adjustment{
		SKU: sku, WarehouseID: req.Warehouse, Delta: req.Delta, Reason: req.Reason,
		Actor:          actor(r),
		IdempotencyKey: key,
	})
	var short *inventory.InsufficientStockError
	switch {
	case errors.As(err, &short):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusConflict, short.Error()))
		return
	case errors.Is(err, inventory.ErrUnknownSKU):
		httpx.WriteProblem(w, r, unknownSKU(sku))
		return
	case errors.Is(err, inventory.ErrUnknownWarehouse):
		httpx.WriteProblem(w, r, validationProblem([]httpx.FieldError{{Field: "warehouse", Detail: "is not a known warehouse"}}))
		return
	case errors.Is(err, inventory.ErrIdempotencyKeyReused):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnprocessableEntity,
			"Idempotency-Key "+strconv.Quote(key)+" was already used for a different adjustment"))
		return
	case errors.Is(err, inventory.ErrCacheNotInvalidated):
		s.Logger.Error("stock adjusted but the cache was not invalidated", "sku", sku, "event_id", ev.ID,
			"request_id", httpx.RequestID(r.Context()), "error", err)
		detail := "the adjustment was recorded, but cached stock could not be refreshed"
		if key != "" {
			detail += "; repeat the request with the same Idempotency-Key"
		}
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, detail))
		return
	case err != nil:
		s.internalError(w, r, "could not adjust the stock", err, "sku", sku)
		return
	}
	s.Logger.Info("stock adjusted", "sku", sku, "warehouse_id", ev.WarehouseID, "delta", ev.OnHandDelta, "event_id", ev.ID,
		"request_id", httpx.RequestID(r.Context()))
	level, err := s.Inventory.StockLevel(r.Context(), sku)
	if err != nil {
		s.internalError(w, r, "could not read the stock", err, "sku", sku)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"event": ev, "stock": level})
}

// listStockEvents pages through a SKU's ledger, newest first.
func (s *Server) listStockEvents(w http.ResponseWriter, r *http.Request) {
	sku := mux.Vars(r)["sku"]
	limit, p := pageLimit(r)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	page, err := s.Inventory.Events(r.Context(), sku, limit, r.URL.Query().Get("cursor"))
	switch {
	case errors.Is(err, inventory.ErrUnknownSKU):
		httpx.WriteProblem(w, r, unknownSKU(sku))
	case errors.Is(err, inventory.ErrBadCursor):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "cursor is not one this API returned"))
	case err != nil:
		s.internalError(w, r, "could not list stock events", err, "sku", sku)
	default:
		httpx.WriteJSON(w, http.StatusOK, page)
	}
}

// pageLimit reads ?limit= (default 20, at most 100).
func pageLimit(r *http.Request) (int, *httpx.Problem) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, httpx.NewProblem(http.StatusBadRequest, "limit must be an integer from 1 to 100")
	}
	return n, nil
}

// getReservation answers a stock reservation: its status, allocations per
// warehouse and when it expires.
func (s *Server) getReservation(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	res, err := s.Inventory.GetReservation(r.Context(), id)
	switch {
	case errors.Is(err, inventory.ErrReservationNotFound):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusNotFound, "no reservation "+strconv.Quote(id)))
	case err != nil:
		s.internalError(w, r, "could not read the reservation", err, "reservation_id", id)
	default:
		httpx.WriteJSON(w, http.StatusOK, res)
	}
}
