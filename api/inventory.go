package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// GetStock is GET /api/inventory/{sku}: a SKU's stock per warehouse and in
// total, from the Redis cache that every stock change invalidates.
func (s *Server) GetStock(ctx context.Context, req GetStockRequestObject) (GetStockResponseObject, error) {
	level, err := s.Inventory.StockLevel(ctx, req.Sku)
	switch {
	case errors.Is(err, inventory.ErrUnknownSKU):
		return nil, unknownSKU(req.Sku)
	case err != nil:
		return nil, fail("could not read the stock", err, "sku", req.Sku)
	}
	return GetStock200JSONResponse{Body: as[StockLevel](level)}, nil
}

const (
	maxAdjustment      = 1_000_000
	maxReasonLength    = 500
	maxWarehouseLength = 100
)

func (req AdjustmentRequest) validate() *httpx.Problem {
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

// AdjustStock is POST /api/inventory/{sku}/adjustments (admin): a positive
// delta receives goods, a negative one corrects the count, but never below
// what orders hold. With an Idempotency-Key, a repeat returns the first
// adjustment instead of applying it twice.
func (s *Server) AdjustStock(ctx context.Context, req AdjustStockRequestObject) (AdjustStockResponseObject, error) {
	sku, body := req.Sku, req.Body
	key, err := idempotencyKey(req.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	ev, err := s.Inventory.Adjust(ctx, inventory.Adjustment{
		SKU: sku, WarehouseID: body.Warehouse, Delta: body.Delta, Reason: body.Reason,
		Actor:          actor(ctx),
		IdempotencyKey: key,
	})
	var short *inventory.InsufficientStockError
	switch {
	case errors.As(err, &short):
		return nil, httpx.NewProblem(http.StatusConflict, short.Error())
	case errors.Is(err, inventory.ErrUnknownSKU):
		return nil, unknownSKU(sku)
	case errors.Is(err, inventory.ErrUnknownWarehouse):
		return nil, validationProblem([]httpx.FieldError{{Field: "warehouse", Detail: "is not a known warehouse"}})
	case errors.Is(err, inventory.ErrIdempotencyKeyReused):
		return nil, httpx.NewProblem(http.StatusUnprocessableEntity,
			"Idempotency-Key "+strconv.Quote(key)+" was already used for a different adjustment")
	case errors.Is(err, inventory.ErrCacheNotInvalidated):
		s.Logger.Error("stock adjusted but the cache was not invalidated", "sku", sku, "event_id", ev.ID,
			"request_id", httpx.RequestID(ctx), "error", err)
		detail := "the adjustment was recorded, but cached stock could not be refreshed"
		if key != "" {
			detail += "; repeat the request with the same Idempotency-Key"
		}
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, detail)
	case err != nil:
		return nil, fail("could not adjust the stock", err, "sku", sku)
	}
	s.Logger.Info("stock adjusted", "sku", sku, "warehouse_id", ev.WarehouseID, "delta", ev.OnHandDelta, "event_id", ev.ID,
		"request_id", httpx.RequestID(ctx))
	level, err := s.Inventory.StockLevel(ctx, sku)
	if err != nil {
		return nil, fail("could not read the stock", err, "sku", sku)
	}
	return AdjustStock201JSONResponse{Body: AdjustmentResult{Event: as[LedgerEvent](ev), Stock: as[StockLevel](level)}}, nil
}

// ListStockEvents is GET /api/inventory/{sku}/events (admin): the SKU's
// ledger, newest first, a page at a time.
func (s *Server) ListStockEvents(ctx context.Context, req ListStockEventsRequestObject) (ListStockEventsResponseObject, error) {
	limit, err := pageLimit(req.Params.Limit)
	if err != nil {
		return nil, err
	}
	page, err := s.Inventory.Events(ctx, req.Sku, limit, deref(req.Params.Cursor))
	switch {
	case errors.Is(err, inventory.ErrUnknownSKU):
		return nil, unknownSKU(req.Sku)
	case errors.Is(err, inventory.ErrBadCursor):
		return nil, badCursor()
	case err != nil:
		return nil, fail("could not list stock events", err, "sku", req.Sku)
	}
	return ListStockEvents200JSONResponse{Body: as[LedgerEventPage](page)}, nil
}

func badCursor() *httpx.Problem {
	return httpx.NewProblem(http.StatusBadRequest, "cursor is not one this API returned")
}

// pageLimit is ?limit= (default 20, at most 100).
func pageLimit(limit *Limit) (int, error) {
	if limit == nil {
		return 20, nil
	}
	if *limit < 1 || *limit > 100 {
		return 0, httpx.NewProblem(http.StatusBadRequest, "limit must be an integer from 1 to 100")
	}
	return *limit, nil
}

// deref is *p, or the zero value for nil: an optional parameter's value.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// nonEmpty is &s, or nil for "": an optional field left out when unknown.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GetReservation is GET /api/reservations/{id} (admin): a stock
// reservation's status, allocations per warehouse and expiry.
func (s *Server) GetReservation(ctx context.Context, req GetReservationRequestObject) (GetReservationResponseObject, error) {
	res, err := s.Inventory.GetReservation(ctx, req.Id)
	switch {
	case errors.Is(err, inventory.ErrReservationNotFound):
		return nil, httpx.NewProblem(http.StatusNotFound, "no reservation "+strconv.Quote(req.Id))
	case err != nil:
		return nil, fail("could not read the reservation", err, "reservation_id", req.Id)
	}
	return GetReservation200JSONResponse{Body: as[Reservation](res)}, nil
}
