package api

import (
	"net/http"

	"github.com/orderflow/orderflow/internal/httpx"
)

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	products, err := s.Inventory.ListProducts(r.Context())
	if err != nil {
		s.internalError(w, r, "could not list products", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"products": products})
}
