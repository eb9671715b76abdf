package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// ListProducts is GET /api/products: the catalogue.
func (s *Server) ListProducts(ctx context.Context, _ ListProductsRequestObject) (ListProductsResponseObject, error) {
	products, err := s.Inventory.ListProducts(ctx)
	if err != nil {
		return nil, fail("could not list products", err)
	}
	var resp ListProducts200JSONResponse
	resp.Body.Products = as[[]Product](products)
	return resp, nil
}

// GetProduct is GET /api/products/{sku}.
func (s *Server) GetProduct(ctx context.Context, req GetProductRequestObject) (GetProductResponseObject, error) {
	p, err := s.Inventory.Product(ctx, req.Sku)
	switch {
	case errors.Is(err, inventory.ErrUnknownSKU):
		return nil, unknownSKU(req.Sku)
	case err != nil:
		return nil, fail("could not read the product", err, "sku", req.Sku)
	}
	return GetProduct200JSONResponse{Body: as[Product](p)}, nil
}

func unknownSKU(sku string) *httpx.Problem {
	return httpx.NewProblem(http.StatusNotFound, "no product with SKU "+strconv.Quote(sku))
}
