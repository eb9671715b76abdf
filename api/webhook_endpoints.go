package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
)

// WebhookSettings are what the API needs of integrators' endpoints.
type WebhookSettings struct {
	// Targets is the address policy the deliveries dial with: a URL it
	// refuses is refused at creation already.
	Targets safehttp.Policy
	// Redeliver starts the nth redelivery of a delivery, once.
	Redeliver func(ctx context.Context, deliveryID string, n int) error
}

// The bounds of an endpoint's fields (api/openapi.yaml says the same).
const (
	maxEventTypes        = 50
	maxDescriptionLength = 200
)

// checkEndpoint validates what a request sets of an endpoint.
func (s *Server) checkEndpoint(ctx context.Context, url *string, eventTypes *[]string, description *string) *httpx.Problem {
	var errs []httpx.FieldError
	add := func(field, detail string) { errs = append(errs, httpx.FieldError{Field: field, Detail: detail}) }
	if url != nil {
		var refused *safehttp.RefusedError
		switch err := s.Webhook.Targets.CheckURL(ctx, *url); {
		case len(*url) > maxEndpointLength:
			add("url", "must be at most "+strconv.Itoa(maxEndpointLength)+" bytes")
		case !httpx.IsText(*url):
			add("url", "must be text")
		case errors.As(err, &refused):
			add("url", refused.Error())
		}
	}
	if eventTypes != nil {
		if n := len(*eventTypes); n == 0 || n > maxEventTypes {
			add("event_types", "must name 1 to "+strconv.Itoa(maxEventTypes)+" event types")
		}
		for i, t := range *eventTypes {
			if err := webhooks.CheckEventType(t); err != nil {
				add("event_types["+strconv.Itoa(i)+"]", err.Error())
			}
		}
	}
	if description != nil && (!httpx.IsText(*description) || len(*description) > maxDescriptionLength) {
		add("description", "must be text of at most "+strconv.Itoa(maxDescriptionLength)+" bytes")
	}
	return validationProblem(errs)
}

// endpointFailure answers a store error about endpoint id: 404 when there
// is no such endpoint, a failure to do msg otherwise.
func endpointFailure(err error, msg, id string) error {
	if errors.Is(err, webhooks.ErrEndpointNotFound) {
		return httpx.NewProblem(http.StatusNotFound, "no webhook endpoint "+strconv.Quote(id))
	}
	return fail(msg, err, "endpoint_id", id)
}

// ListWebhookEndpoints is GET /api/webhook-endpoints.
func (s *Server) ListWebhookEndpoints(ctx context.Context, _ ListWebhookEndpointsRequestObject) (ListWebhookEndpointsResponseObject, error) {
	list, err := s.Webhooks.Endpoints(ctx)
	if err != nil {
		return nil, fail("could not list the webhook endpoints", err)
	}
	var resp ListWebhookEndpoints200JSONResponse
	resp.Body.Items = as[[]WebhookEndpoint](list)
	if resp.Body.Items == nil {
		resp.Body.Items = []WebhookEndpoint{}
	}
	resp.Body.EventTypes = webhooks.EventTypes()
	return resp, nil
}

// CreateWebhookEndpoint is POST /api/webhook-endpoints.
func (s *Server) CreateWebhookEndpoint(ctx context.Context, req CreateWebhookEndpointRequestObject) (CreateWebhookEndpointResponseObject, error) {
	b := req.Body
	if p := s.checkEndpoint(ctx, &b.Url, &b.EventTypes, b.Description); p != nil {
		return nil, p
	}
	e, err := s.Webhooks.CreateEndpoint(ctx, webhooks.Endpoint{URL: b.Url, EventTypes: b.EventTypes, Description: deref(b.Description)})
	switch {
	case errors.Is(err, webhooks.ErrTooManyEndpoints):
		return nil, httpx.NewProblem(http.StatusConflict, err.Error()+": delete one first")
	case err != nil:
		return nil, fail("could not create the webhook endpoint", err)
	}
	caller, _ := auth.FromContext(ctx)
	s.Logger.Info("webhook endpoint created", "endpoint_id", e.ID, "event_types", e.EventTypes, "admin_id", caller.UserID,
		"request_id", httpx.RequestID(ctx))
	location := "/api/webhook-endpoints/" + e.ID
	return CreateWebhookEndpoint201JSONResponse{Body: withSecret(e), Headers: CreateWebhookEndpoint201ResponseHeaders{Location: &location}}, nil
}

// withSecret is the endpoint as the answers that show its secret give it.
func withSecret(e webhooks.Endpoint) WebhookEndpointWithSecret {
	out := as[WebhookEndpointWithSecret](e)
	out.Secret = e.Secret
	return out
}

// GetWebhookEndpoint is GET /api/webhook-endpoints/{id}.
func (s *Server) GetWebhookEndpoint(ctx context.Context, req GetWebhookEndpointRequestObject) (GetWebhookEndpointResponseObject, error) {
	e, err := s.Webhooks.Endpoint(ctx, req.Id)
	if err != nil {
		return nil, endpointFailure(err, "could not read the webhook endpoint", req.Id)
	}
	return GetWebhookEndpoint200JSONResponse{Body: as[WebhookEndpoint](e)}, nil
}

// UpdateWebhookEndpoint is PATCH /api/webhook-endpoints/{id}.
func (s *Server) UpdateWebhookEndpoint(ctx context.Context, req UpdateWebhookEndpointRequestObject) (UpdateWebhookEndpointResponseObject, error) {
	b := req.Body
	if p := s.checkEndpoint(ctx, b.Url, b.EventTypes, b.Description); p != nil {
		return nil, p
	}
	patch := webhooks.EndpointPatch{URL: b.Url, Description: b.Description, Enabled: b.Enabled}
	if b.EventTypes != nil {
		patch.EventTypes = *b.EventTypes
	}
	e, err := s.Webhooks.UpdateEndpoint(ctx, req.Id, patch)
	if err != nil {
		return nil, endpointFailure(err, "could not change the webhook endpoint", req.Id)
	}
	s.Logger.Info("webhook endpoint changed", "endpoint_id", e.ID, "enabled", e.Enabled, "request_id", httpx.RequestID(ctx))
	return UpdateWebhookEndpoint200JSONResponse{Body: as[WebhookEndpoint](e)}, nil
}

// DeleteWebhookEndpoint is DELETE /api/webhook-endpoints/{id}.
func (s *Server) DeleteWebhookEndpoint(ctx context.Context, req DeleteWebhookEndpointRequestObject) (DeleteWebhookEndpointResponseObject, error) {
	err := s.Webhooks.DeleteEndpoint(ctx, req.Id)
	if err != nil {
		return nil, endpointFailure(err, "could not delete the webhook endpoint", req.Id)
	}
	s.Logger.Info("webhook endpoint deleted", "endpoint_id", req.Id, "request_id", httpx.RequestID(ctx))
	return DeleteWebhookEndpoint204Response{}, nil
}

// RotateWebhookSecret is POST /api/webhook-endpoints/{id}/rotate-secret.
func (s *Server) RotateWebhookSecret(ctx context.Context, req RotateWebhookSecretRequestObject) (RotateWebhookSecretResponseObject, error) {
	e, err := s.Webhooks.RotateSecret(ctx, req.Id)
	if err != nil {
		return nil, endpointFailure(err, "could not rotate the webhook secret", req.Id)
	}
	s.Logger.Info("webhook secret rotated", "endpoint_id", e.ID, "request_id", httpx.RequestID(ctx))
	return RotateWebhookSecret200JSONResponse{Body: withSecret(e)}, nil
}

// ListWebhookDeliveries is GET /api/webhook-endpoints/{id}/deliveries.
func (s *Server) ListWebhookDeliveries(ctx context.Context, req ListWebhookDeliveriesRequestObject) (ListWebhookDeliveriesResponseObject, error) {
	limit := 50
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	if limit < 1 || limit > 100 {
		return nil, httpx.NewProblem(http.StatusBadRequest, "limit must be 1 to 100")
	}
	list, err := s.Webhooks.Deliveries(ctx, req.Id, limit)
	if err != nil {
		return nil, endpointFailure(err, "could not list the deliveries", req.Id)
	}
	var resp ListWebhookDeliveries200JSONResponse
	resp.Body.Items = as[[]WebhookDelivery](list)
	if resp.Body.Items == nil {
		resp.Body.Items = []WebhookDelivery{}
	}
	return resp, nil
}

// deliveryFailure answers a store error about a delivery to endpoint
// endpointID, as endpointFailure does.
func deliveryFailure(err error, msg, endpointID, id string) error {
	if errors.Is(err, webhooks.ErrDeliveryNotFound) {
		return httpx.NewProblem(http.StatusNotFound, "no delivery "+strconv.Quote(id)+" to webhook endpoint "+strconv.Quote(endpointID))
	}
	return fail(msg, err, "endpoint_id", endpointID, "delivery_id", id)
}

// GetWebhookDelivery is GET /api/webhook-endpoints/{id}/deliveries/{deliveryId}.
func (s *Server) GetWebhookDelivery(ctx context.Context, req GetWebhookDeliveryRequestObject) (GetWebhookDeliveryResponseObject, error) {
	d, attempts, err := s.Webhooks.Delivery(ctx, req.Id, req.DeliveryId)
	if err != nil {
		return nil, deliveryFailure(err, "could not read the delivery", req.Id, req.DeliveryId)
	}
	body := as[WebhookDeliveryDetail](d)
	body.AttemptLog = as[[]WebhookAttempt](attempts)
	if body.AttemptLog == nil {
		body.AttemptLog = []WebhookAttempt{}
	}
	if err := json.Unmarshal(d.Payload, &body.Event); err != nil {
		return nil, fail("the delivery's event does not read", err, "delivery_id", d.ID)
	}
	return GetWebhookDelivery200JSONResponse{Body: body}, nil
}

// RedeliverWebhook is POST /api/webhook-endpoints/{id}/deliveries/{deliveryId}/redeliver.
func (s *Server) RedeliverWebhook(ctx context.Context, req RedeliverWebhookRequestObject) (RedeliverWebhookResponseObject, error) {
	e, err := s.Webhooks.Endpoint(ctx, req.Id)
	switch {
	case err != nil:
		return nil, endpointFailure(err, "could not read the webhook endpoint", req.Id)
	case !e.Enabled:
		return nil, httpx.NewProblem(http.StatusConflict, "the endpoint is disabled: enable it first (PATCH {\"enabled\": true})")
	}
	n, err := s.Webhooks.Redeliver(ctx, req.Id, req.DeliveryId)
	if err != nil {
		return nil, deliveryFailure(err, "could not redeliver", req.Id, req.DeliveryId)
	}
	if err := s.Webhook.Redeliver(ctx, req.DeliveryId, n); err != nil {
		return nil, fail("could not start the redelivery", err, "endpoint_id", req.Id, "delivery_id", req.DeliveryId)
	}
	d, _, err := s.Webhooks.Delivery(ctx, req.Id, req.DeliveryId)
	if err != nil {
		return nil, fail("could not read the delivery", err, "delivery_id", req.DeliveryId)
	}
	s.Logger.Info("webhook redelivery started", "endpoint_id", req.Id, "delivery_id", req.DeliveryId, "redelivery", n,
		"request_id", httpx.RequestID(ctx))
	return RedeliverWebhook202JSONResponse{Body: as[WebhookDelivery](d)}, nil
}
