package api

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// validNotificationID is the shape of notification IDs ("<order>-completed")
// and of the order IDs they carry.
var validNotificationID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,200}$`)

// GetNotification is GET /api/notifications/{id} (admin): the message's
// state, the provider calls made for it and what the providers reported.
func (s *Server) GetNotification(ctx context.Context, req GetNotificationRequestObject) (GetNotificationResponseObject, error) {
	n, err := s.findNotification(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	return GetNotification200JSONResponse{Body: as[Notification](n)}, nil
}

// ListNotifications is GET /api/notifications (admin): messages, newest
// first, a page at a time: an order's, or those in a status.
func (s *Server) ListNotifications(ctx context.Context, req ListNotificationsRequestObject) (ListNotificationsResponseObject, error) {
	q := req.Params
	f := notifications.ListFilter{OrderID: deref(q.OrderId), Cursor: deref(q.Cursor)}
	if f.OrderID != "" && !validNotificationID.MatchString(f.OrderID) {
		return nil, httpx.NewProblem(http.StatusBadRequest, "order_id must be the ID of an order")
	}
	if q.Status != nil && *q.Status != "" {
		if !q.Status.Valid() {
			return nil, httpx.NewProblem(http.StatusBadRequest, "status must be pending, scheduled, sent or failed")
		}
		f.Status = notifications.Status(*q.Status)
	}
	var err error
	if f.Limit, err = pageLimit(q.Limit); err != nil {
		return nil, err
	}
	page, err := s.Notifications.List(ctx, f)
	switch {
	case errors.Is(err, notifications.ErrBadCursor):
		return nil, badCursor()
	case err != nil:
		return nil, fail("could not list notifications", err, "order_id", f.OrderID)
	}
	var resp ListNotifications200JSONResponse
	resp.Body.Items = as[[]Notification](page.Items)
	if resp.Body.Items == nil {
		resp.Body.Items = []Notification{}
	}
	resp.Body.NextCursor = nonEmpty(page.NextCursor)
	return resp, nil
}

// RetryNotification is POST /api/notifications/{id}/retry (admin): a
// message that failed on every channel tries them all again. Its workflow
// waits for the retry signal for workflows.RetryWindow; after that the
// signal starts a new run with the same input (signal-with-start).
func (s *Server) RetryNotification(ctx context.Context, req RetryNotificationRequestObject) (RetryNotificationResponseObject, error) {
	n, err := s.findNotification(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	if n.Status != notifications.StatusFailed {
		return nil, httpx.NewProblem(http.StatusConflict,
			"notification "+strconv.Quote(n.ID)+" is "+string(n.Status)+": only a failed notification can be retried")
	}
	opts := client.StartWorkflowOptions{ID: n.WorkflowID, TaskQueue: workflows.NotificationsTaskQueue}
	if _, err := s.Temporal.SignalWithStartWorkflow(ctx, n.WorkflowID, workflows.SignalRetry, nil,
		opts, workflows.NotificationWorkflow, n.Input); err != nil {
		s.Logger.Error("could not signal a notification retry", "notification_id", n.ID, "order_id", n.OrderID,
			"request_id", httpx.RequestID(ctx), "error", err)
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, "the retry could not be requested; try again")
	}
	s.Logger.Info("notification retry requested", "notification_id", n.ID, "order_id", n.OrderID,
		"request_id", httpx.RequestID(ctx))
	location := "/api/notifications/" + n.ID
	return RetryNotification202JSONResponse{Body: as[Notification](n), Headers: RetryNotification202ResponseHeaders{Location: &location}}, nil
}

// findNotification reads the notification id, or a 404 problem.
func (s *Server) findNotification(ctx context.Context, id string) (notifications.Notification, error) {
	notFound := httpx.NewProblem(http.StatusNotFound, "no notification "+strconv.Quote(id))
	if !validNotificationID.MatchString(id) {
		return notifications.Notification{}, notFound
	}
	n, err := s.Notifications.Get(ctx, id)
	switch {
	case errors.Is(err, notifications.ErrNotFound):
		return n, notFound
	case err != nil:
		return n, fail("could not read the notification", err, "notification_id", id)
	}
	return n, nil
}

// ListOrderNotifications is GET /api/orders/{id}/notifications: what the
// order's customer was told. Customers see how each message went, not the
// providers' side of it.
func (s *Server) ListOrderNotifications(ctx context.Context, req ListOrderNotificationsRequestObject) (ListOrderNotificationsResponseObject, error) {
	o, err := s.findOrder(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	page, err := s.Notifications.List(ctx, notifications.ListFilter{OrderID: o.ID, Limit: maxOrderNotifications})
	if err != nil {
		return nil, fail("could not list the order's notifications", err, "order_id", o.ID)
	}
	if caller, _ := auth.FromContext(ctx); !caller.IsAdmin() {
		for i := range page.Items {
			n := &page.Items[i]
			n.Provider, n.ProviderMessageID, n.Failures = "", "", nil
			if n.Delivery != nil {
				d := *n.Delivery
				d.Detail = "" // a provider's words, which may quote the address
				n.Delivery = &d
			}
		}
	}
	var resp ListOrderNotifications200JSONResponse
	resp.Body.Items = as[[]Notification](page.Items)
	if resp.Body.Items == nil {
		resp.Body.Items = []Notification{}
	}
	return resp, nil
}

// maxOrderNotifications bounds an order's list: it has a handful.
const maxOrderNotifications = 100
