package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// endpoint is an integrator's endpoint as the API shows it at creation.
type endpoint struct {
	webhooks.Endpoint
	Secret string `json:"secret"`
}

// receiver configures the sandbox's receiver name to verify with secret
// and answer responses, and returns its URL.
func receiver(t *testing.T, name, secret string, responses []int, redirectTo string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"secret": secret, "responses": responses, "redirect_to": redirectTo})
	status, _, raw := send(t, request(t, http.MethodPut, stack.cfg.PushBaseURL+"/_sandbox/receivers/"+name, string(body), anonymous))
	require.Equal(t, http.StatusOK, status, "%s", raw)
	return stack.cfg.PushBaseURL + "/hooks/" + name
}

// received returns what receiver name got about order orderID.
func received(t *testing.T, name, orderID string) []sandbox.Message {
	t.Helper()
	status, _, raw := send(t, request(t, http.MethodGet, stack.cfg.PushBaseURL+"/_sandbox/receivers/"+name+"/requests", "", anonymous))
	require.Equal(t, http.StatusOK, status, "%s", raw)
	var all, mine []sandbox.Message
	require.NoError(t, json.Unmarshal(raw, &all))
	for _, m := range all {
		if strings.Contains(m.Body, `"`+orderID+`"`) {
			mine = append(mine, m)
		}
	}
	return mine
}

// createEndpoint subscribes url to types as the admin, and deletes it when
// the test ends, so that other tests' events stop going to it.
func createEndpoint(t *testing.T, url string, types ...string) endpoint {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"url": url, "event_types": types, "description": t.Name()})
	status, hdr, raw := send(t, request(t, http.MethodPost, stack.apiURL+"/api/webhook-endpoints", string(body), asAdmin))
	require.Equal(t, http.StatusCreated, status, "%s", raw)
	var e endpoint
	require.NoError(t, json.Unmarshal(raw, &e))
	require.Equal(t, "/api/webhook-endpoints/"+e.ID, hdr.Get("Location"))
	require.NoError(t, webhooksign.CheckSecret(e.Secret))
	t.Cleanup(func() {
		status, _, raw := send(t, request(t, http.MethodDelete, stack.apiURL+"/api/webhook-endpoints/"+e.ID, "", asAdmin))
		assert.Equal(t, http.StatusNoContent, status, "%s", raw)
	})
	return e
}

type deliveryDetail struct {
	webhooks.Delivery
	Event      events.CloudEvent  `json:"event"`
	AttemptLog []webhooks.Attempt `json:"attempt_log"`
}

// deliveryOf returns the endpoint's delivery of the event of orderID's
// type t, as its log shows it.
func deliveryOf(t *testing.T, e endpoint, orderID, eventType string) (deliveryDetail, bool) {
	t.Helper()
	var list struct {
		Items []webhooks.Delivery `json:"items"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/webhook-endpoints/"+e.ID+"/deliveries?limit=100", &list, asAdmin))
	for _, d := range list.Items {
		var detail deliveryDetail
		require.Equal(t, http.StatusOK, getAs(t, "/api/webhook-endpoints/"+e.ID+"/deliveries/"+d.ID, &detail, asAdmin))
		if detail.EventType == eventType && detail.Event.Subject == orderID {
			return detail, true
		}
	}
	return deliveryDetail{}, false
}

func TestAWebhookEndpointReceivesOrderCompletedOnceSigned(t *testing.T) {
	name := uniqueID("erp")
	url := receiver(t, name, "", nil, "")
	e := createEndpoint(t, url, "order.completed")
	receiver(t, name, e.Secret, nil, "") // the integrator deploys the secret it was shown

	orderID := placeCompletedOrder(t, stack.customer)
	var got []sandbox.Message
	require.Eventually(t, func() bool { got = received(t, name, orderID); return len(got) > 0 }, 30*time.Second, 50*time.Millisecond,
		"the endpoint receives the order's completion")
	time.Sleep(time.Second) // a duplicate would come within it
	got = received(t, name, orderID)
	require.Len(t, got, 1, "once")
	assert.True(t, got[0].Verified, "the signature verifies with the endpoint's secret: %s", got[0].Refusal)
	var ev events.CloudEvent
	require.NoError(t, json.Unmarshal([]byte(got[0].Body), &ev))
	assert.Equal(t, "order.completed", ev.Type)
	assert.Equal(t, orderID, ev.Subject)
	assert.Equal(t, ev.ID, got[0].Headers[webhooksign.IDHeader], "webhook-id is the event's ID")

	d, ok := deliveryOf(t, e, orderID, "order.completed")
	require.True(t, ok, "the delivery is in the endpoint's log")
	assert.Equal(t, webhooks.DeliverySucceeded, d.Status)
	require.Len(t, d.AttemptLog, 1)
	assert.Equal(t, http.StatusNoContent, d.AttemptLog[0].ResponseStatus)
	assert.Empty(t, d.AttemptLog[0].Error)

	// A redelivery sends the same message again, with the same webhook-id.
	status, _, raw := send(t, request(t, http.MethodPost, stack.apiURL+"/api/webhook-endpoints/"+e.ID+"/deliveries/"+d.ID+"/redeliver", "", asAdmin))
	require.Equal(t, http.StatusAccepted, status, "%s", raw)
	require.Eventually(t, func() bool { return len(received(t, name, orderID)) == 2 }, 30*time.Second, 50*time.Millisecond)
	again := received(t, name, orderID)[1]
	assert.Equal(t, ev.ID, again.Headers[webhooksign.IDHeader])
	assert.True(t, again.Verified)
	d, _ = deliveryOf(t, e, orderID, "order.completed")
	assert.Equal(t, 1, d.Redeliveries)
	assert.Len(t, d.AttemptLog, 2)
}

func TestAWebhookEndpointKeepsReceivingThroughA503Storm(t *testing.T) {
	name := uniqueID("storm")
	url := receiver(t, name, "", []int{http.StatusServiceUnavailable}, "")
	e := createEndpoint(t, url, "order.*")
	receiver(t, name, e.Secret, []int{http.StatusServiceUnavailable}, "") // 503 to every request

	orderID := placeCompletedOrder(t, stack.customer)
	require.Eventually(t, func() bool {
		d, ok := deliveryOf(t, e, orderID, "order.completed")
		return ok && len(d.AttemptLog) >= 3
	}, 60*time.Second, 200*time.Millisecond, "the delivery is retried while the endpoint answers 503")
	receiver(t, name, e.Secret, []int{http.StatusOK}, "") // it recovers

	var d deliveryDetail
	require.Eventually(t, func() bool {
		d, _ = deliveryOf(t, e, orderID, "order.completed")
		return d.Status == webhooks.DeliverySucceeded
	}, 60*time.Second, 200*time.Millisecond, "delivered once the endpoint recovers")
	last := d.AttemptLog[len(d.AttemptLog)-1]
	assert.Equal(t, http.StatusOK, last.ResponseStatus)
	for _, a := range d.AttemptLog[:len(d.AttemptLog)-1] {
		assert.Equal(t, http.StatusServiceUnavailable, a.ResponseStatus)
		assert.Equal(t, "HTTP 503", a.Error)
	}
	for i, a := range d.AttemptLog {
		assert.Equal(t, i+1, a.Attempt)
	}
	accepted := 0
	for _, m := range received(t, name, orderID) {
		if m.Status == http.StatusOK && strings.Contains(m.Body, `"order.completed"`) {
			accepted++
		}
	}
	assert.Equal(t, 1, accepted, "taken once")

	var ep webhooks.Endpoint
	require.Equal(t, http.StatusOK, getAs(t, "/api/webhook-endpoints/"+e.ID, &ep, asAdmin))
	assert.True(t, ep.Enabled)
	assert.Nil(t, ep.FailingSince, "its success stopped the failure clock")
}

func TestAWebhookEndpointAimedAtAPrivateAddressIsRefused(t *testing.T) {
	for _, url := range []string{"http://10.0.0.5:5432/", "http://169.254.169.254/latest/meta-data/", "http://[fd00::1]/hook", "ftp://example.com/hook"} {
		body, _ := json.Marshal(map[string]any{"url": url, "event_types": []string{"order.completed"}})
		status, hdr, problem := post(t, "/api/webhook-endpoints", string(body), asAdmin)
		assert.Equal(t, http.StatusUnprocessableEntity, status, "%s: %v", url, problem)
		assert.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
		assert.Contains(t, problem["detail"], "url ", url)
	}
	status, _, problem := post(t, "/api/webhook-endpoints", `{"url":"https://example.com/hook","event_types":["order.shipped.maybe"]}`, asAdmin)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Contains(t, problem["detail"], "no event type")
	long, _ := json.Marshal(map[string]any{"url": "https://example.com/hook", "event_types": []string{}, "description": strings.Repeat("x", 201)})
	status, _, problem = post(t, "/api/webhook-endpoints", string(long), asAdmin)
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Contains(t, problem["detail"], "event_types must name 1 to 50")
	assert.Contains(t, problem["detail"], "description must be text of at most 200 bytes")
	status, _, problem = post(t, "/api/webhook-endpoints", `{"url":"https://example.com/hook","event_types":["order.*"],"secret":"mine"}`, asAdmin)
	assert.Equal(t, http.StatusBadRequest, status, "unknown fields are refused: %v", problem)
	status, _, _ = post(t, "/api/webhook-endpoints", `{"url":"https://example.com/hook","event_types":["order.completed"]}`, bearer(stack.customer.AccessToken))
	assert.Equal(t, http.StatusForbidden, status, "admins only")
}

func TestAWebhookRedirectedToAPrivateAddressIsNotFollowed(t *testing.T) {
	name := uniqueID("redirect")
	url := receiver(t, name, "", []int{http.StatusFound}, "http://169.254.169.254/latest/meta-data/")
	e := createEndpoint(t, url, "order.completed")
	receiver(t, name, e.Secret, []int{http.StatusFound}, "http://169.254.169.254/latest/meta-data/")

	orderID := placeCompletedOrder(t, stack.customer)
	var d deliveryDetail
	require.Eventually(t, func() bool {
		var ok bool
		d, ok = deliveryOf(t, e, orderID, "order.completed")
		return ok && len(d.AttemptLog) > 0
	}, 30*time.Second, 100*time.Millisecond)
	a := d.AttemptLog[0]
	assert.Equal(t, http.StatusFound, a.ResponseStatus)
	assert.Contains(t, a.Error, "redirects are not followed (Location: http://169.254.169.254/latest/meta-data/)")
	assert.NotEqual(t, webhooks.DeliverySucceeded, d.Status)
}

func TestARotatedWebhookSecretSignsAlongsideThePreviousOne(t *testing.T) {
	name := uniqueID("rotate")
	url := receiver(t, name, "", nil, "")
	e := createEndpoint(t, url, "order.completed")
	status, _, raw := send(t, request(t, http.MethodPost, stack.apiURL+"/api/webhook-endpoints/"+e.ID+"/rotate-secret", "", asAdmin))
	require.Equal(t, http.StatusOK, status, "%s", raw)
	var rotated endpoint
	require.NoError(t, json.Unmarshal(raw, &rotated))
	require.NotEqual(t, e.Secret, rotated.Secret)
	require.NotNil(t, rotated.RotationEndsAt)
	receiver(t, name, e.Secret, nil, "") // the receiver still has the previous secret

	orderID := placeCompletedOrder(t, stack.customer)
	var got []sandbox.Message
	require.Eventually(t, func() bool { got = received(t, name, orderID); return len(got) > 0 }, 30*time.Second, 50*time.Millisecond)
	assert.True(t, got[0].Verified, "the previous secret still verifies: %s", got[0].Refusal)
	h := http.Header{}
	for k, v := range got[0].Headers {
		h.Set(k, v)
	}
	assert.NoError(t, webhooksign.Verify(rotated.Secret, h, []byte(got[0].Body)), "and so does the new one")

	var shown map[string]any
	require.Equal(t, http.StatusOK, getAs(t, "/api/webhook-endpoints/"+e.ID, &shown, asAdmin))
	assert.NotContains(t, shown, "secret", "a secret is shown once")
}
