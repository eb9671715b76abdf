// Package api is orderflow's REST API: thin gorilla/mux handlers that
// validate requests at the edge, start and query Temporal workflows, and
// answer reads from the services' PostgreSQL read models.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/httpx"
	"github.com/orderflow/orderflow/internal/inventory"
	"github.com/orderflow/orderflow/internal/notifications"
	"github.com/orderflow/orderflow/internal/orders"
	"github.com/orderflow/orderflow/workflows"
)

// Server holds the API's dependencies.
type Server struct {
	Orders    *orders.Store
	Inventory *inventory.Store
	Temporal  client.Client
	Namespace string // the Temporal namespace, for DescribeTaskQueue
	Logger    *slog.Logger
	// Checks are the readiness checks of the API's dependencies.
	Checks map[string]httpx.Check
	// ReservationTTL is how long each order's stock stays held while it is paid for.
	ReservationTTL time.Duration
	// Orders above ApprovalThreshold (minor units; 0: none) wait up to
	// ApprovalTimeout for an admin's approval.
	ApprovalThreshold int64
	ApprovalTimeout   time.Duration
	Notifications     *notifications.Store
	// Callbacks verifies the providers' delivery status callbacks.
	Callbacks Callbacks
}

// Handler returns the API's routes wrapped in the common middleware.
func (s *Server) Handler() http.Handler {
	return httpx.WithRequestID(httpx.Observe("api", s.Logger, s.routes()))
}

// routes registers every endpoint; openapi_test.go walks it.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	httpx.MountOps(r, s.Checks)
	a := r.PathPrefix("/api").Subrouter()
	a.HandleFunc("/orders", s.createOrder).Methods(http.MethodPost)
	a.HandleFunc("/orders", s.listOrders).Methods(http.MethodGet)
	a.HandleFunc("/orders/{id}", s.getOrder).Methods(http.MethodGet)
	a.HandleFunc("/orders/{id}/events", s.orderEvents).Methods(http.MethodGet)
	a.HandleFunc("/orders/{id}/cancel", s.cancelOrder).Methods(http.MethodPost)
	// Admin: approvals of orders above the threshold.
	a.HandleFunc("/orders/{id}/approve", s.decideOrder(workflows.UpdateApprove)).Methods(http.MethodPost)
	a.HandleFunc("/orders/{id}/reject", s.decideOrder(workflows.UpdateReject)).Methods(http.MethodPost)
	a.HandleFunc("/stats", s.stats).Methods(http.MethodGet)
	a.HandleFunc("/products", s.listProducts).Methods(http.MethodGet)
	s.inventoryRoutes(a)
	s.notificationRoutes(r, a)
	a.HandleFunc("/openapi.json", serveOpenAPI).Methods(http.MethodGet)
	httpx.InstallRouting(r)
	return r
}

// internalError logs err with the request ID and answers a 500 problem that
// names the request ID but not the error, which may hold internal details.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, msg string, err error, attrs ...any) {
	s.Logger.Error(msg, append(attrs, "request_id", httpx.RequestID(r.Context()), "error", err)...)
	httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusInternalServerError,
		msg+"; see the server log for request "+httpx.RequestID(r.Context())))
}
