package api

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gorilla/mux"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// notificationRoutes mounts the notifications API on a (/api) and the
// providers' callbacks on the root router r.
func (s *Server) notificationRoutes(r, a *mux.Router) {
	// The message log, with the provider calls and addresses, is the operators'.
	handle(a, http.MethodGet, "/notifications", auth.Admin, s.listNotifications)
	handle(a, http.MethodGet, "/notifications/{id}", auth.Admin, s.getNotification)
	handle(a, http.MethodPost, "/notifications/{id}/retry", auth.Admin, s.retryNotification)
	// The providers sign their callbacks; the handlers check the signatures.
	r.HandleFunc(TwilioWebhookPath, s.twilioWebhook).Methods(http.MethodPost)
	r.HandleFunc(SendGridWebhookPath, s.sendGridWebhook).Methods(http.MethodPost)
}

// validNotificationID is the shape of notification IDs ("<order>-completed")
// and of the order IDs they carry.
var validNotificationID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,200}$`)

// getNotification is GET /api/notifications/{id}: the message's state, the
// provider calls made for it and what the providers reported back.
func (s *Server) getNotification(w http.ResponseWriter, r *http.Request) {
	n, ok := s.findNotification(w, r)
	if ok {
		httpx.WriteJSON(w, http.StatusOK, n)
	}
}

// listNotifications is GET /api/notifications?order_id=...: an order's
// messages, newest first.
func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) {
	orderID := r.URL.Query().Get("order_id")
	if !validNotificationID.MatchString(orderID) {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "order_id is required: the ID of an order"))
		return
	}
	list, err := s.Notifications.ListByOrder(r.Context(), orderID)
	if err != nil {
		s.internalError(w, r, "could not list notifications", err, "order_id", orderID)
		return
	}
	if list == nil {
		list = []notifications.Notification{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

// retryNotification is POST /api/notifications/{id}/retry: a message that
// failed on every channel tries them all again. Its workflow waits for the
// retry signal for workflows.RetryWindow; after that the signal starts a new
// run with the same input (signal-with-start).
func (s *Server) retryNotification(w http.ResponseWriter, r *http.Request) {
	n, ok := s.findNotification(w, r)
	if !ok {
		return
	}
	if n.Status != notifications.StatusFailed {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusConflict,
			"notification "+strconv.Quote(n.ID)+" is "+string(n.Status)+": only a failed notification can be retried"))
		return
	}
	opts := client.StartWorkflowOptions{ID: n.WorkflowID, TaskQueue: workflows.NotificationsTaskQueue}
	if _, err := s.Temporal.SignalWithStartWorkflow(r.Context(), n.WorkflowID, workflows.SignalRetry, nil,
		opts, workflows.NotificationWorkflow, n.Input); err != nil {
		s.Logger.Error("could not signal a notification retry", "notification_id", n.ID, "order_id", n.OrderID,
			"request_id", httpx.RequestID(r.Context()), "error", err)
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, "the retry could not be requested; try again"))
		return
	}
	s.Logger.Info("notification retry requested", "notification_id", n.ID, "order_id", n.OrderID,
		"request_id", httpx.RequestID(r.Context()))
	w.Header().Set("Location", "/api/notifications/"+n.ID)
	httpx.WriteJSON(w, http.StatusAccepted, n)
}

// findNotification reads the notification the path names, or answers 404.
func (s *Server) findNotification(w http.ResponseWriter, r *http.Request) (notifications.Notification, bool) {
	id := mux.Vars(r)["id"]
	notFound := httpx.NewProblem(http.StatusNotFound, "no notification "+strconv.Quote(id))
	if !validNotificationID.MatchString(id) {
		httpx.WriteProblem(w, r, notFound)
		return notifications.Notification{}, false
	}
	n, err := s.Notifications.Get(r.Context(), id)
	switch {
	case errors.Is(err, notifications.ErrNotFound):
		httpx.WriteProblem(w, r, notFound)
		return n, false
	case err != nil:
		s.internalError(w, r, "could not read the notification", err, "notification_id", id)
		return n, false
	}
	return n, true
}
