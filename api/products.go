package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	products, err := s.Inventory.ListProducts(r.Context())
	if err != nil {
		s.internalError(w, r, "could not list products", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"products": products})
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	sku := mux.Vars(r)["sku"]
	p, err := s.Inventory.Product(r.Context(), sku)
	switch {
	case errors.Is(err, inventory.ErrUnknownSKU):
		httpx.WriteProblem(w, r, unknownSKU(sku))
	case err != nil:
		s.internalError(w, r, "could not read the product", err, "sku", sku)
	default:
		httpx.WriteJSON(w, http.StatusOK, p)
	}
}

func unknownSKU(sku string) *httpx.Problem {
	return httpx.NewProblem(http.StatusNotFound, "no product with SKU "+strconv.Quote(sku))
}
