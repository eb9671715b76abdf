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
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/users"
)

// browserSubscription subscribes a browser at the sandbox's Web Push
// service with the API's VAPID key, as the dashboard does with
// PushManager.subscribe.
func browserSubscription(t *testing.T) sandbox.PushSubscription {
	t.Helper()
	status, _, key := get(t, "/api/push/vapid-public-key", anonymous)
	require.Equal(t, http.StatusOK, status, "%v", key)
	body, _ := json.Marshal(map[string]any{"application_server_key": key["public_key"]})
	status, _, raw := send(t, request(t, http.MethodPost, stack.cfg.PushBaseURL+"/_sandbox/webpush/subscriptions", string(body), anonymous))
	require.Equal(t, http.StatusCreated, status, "%s", raw)
	var sub sandbox.PushSubscription
	require.NoError(t, json.Unmarshal(raw, &sub))
	return sub
}

// registration is the body that registers sub, PushSubscription.toJSON()
// as the browser gives it.
func registration(sub sandbox.PushSubscription) string {
	b, _ := json.Marshal(map[string]any{"type": "web_push", "endpoint": sub.Endpoint, "expirationTime": nil,
		"keys": map[string]string{"p256dh": sub.Keys.P256dh, "auth": sub.Keys.Auth}})
	return string(b)
}

func devicesOf(t *testing.T, c session) []users.Device {
	t.Helper()
	var list struct {
		Items []users.Device `json:"items"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/users/me/devices", &list, bearer(c.AccessToken)))
	return list.Items
}

// pushCustomer is a new customer who prefers push, then email.
func pushCustomer(t *testing.T) session {
	t.Helper()
	c := newCustomer(t)
	status, me := updateProfile(t, c, `{"notification_preferences":{"channels":["push","email"]}}`)
	require.Equal(t, http.StatusOK, status, "%v", me)
	return c
}

// placeCompletedOrder places an order as c and returns its ID once it
// completed.
func placeCompletedOrder(t *testing.T, c session) string {
	t.Helper()
	status, _, body := post(t, "/api/orders", `{"items":[{"sku":"MUG-CERAMIC","quantity":1}],"payment":{"token":"tok_visa"}}`, bearer(c.AccessToken))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	id := body["id"].(string)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
	return id
}

// pushesTo returns the Web Push messages the sandbox decrypted for endpoint.
func pushesTo(endpoint string) []sandbox.Message {
	var out []sandbox.Message
	for _, m := range stack.sandbox.Messages() {
		if m.Provider == sandbox.ProviderPush && m.To == endpoint {
			out = append(out, m)
		}
	}
	return out
}

func TestOrderMessagesArePushedToTheCustomersBrowser(t *testing.T) {
	c := pushCustomer(t)
	sub := browserSubscription(t)
	status, _, device := post(t, "/api/users/me/devices", registration(sub), bearer(c.AccessToken))
	require.Equal(t, http.StatusCreated, status, "%v", device)

	orderID := placeCompletedOrder(t, c)
	n := waitNotification(t, orderID+"-completed", notifications.StatusSent, 30*time.Second)
	assert.Equal(t, notifications.ChannelPush, n.Channel)
	pushes := pushesTo(sub.Endpoint)
	require.Len(t, pushes, 1, "the sandbox decrypted one push for the subscription")
	assert.Contains(t, pushes[0].Body, orderID, "the push names the order")
	assert.Contains(t, pushes[0].Subject, orderID)
	assert.Equal(t, orderID, pushes[0].CustomArgs["order_id"])
	assert.Empty(t, messagesFor(orderID+"-completed:email"), "no email once the push went out")
}

func TestAGoneSubscriptionIsForgottenAndTheMessageEmailed(t *testing.T) {
	c := pushCustomer(t)
	sub := browserSubscription(t)
	status, _, device := post(t, "/api/users/me/devices", registration(sub), bearer(c.AccessToken))
	require.Equal(t, http.StatusCreated, status, "%v", device)
	// The browser unsubscribes: its push service answers 410 from now on.
	status, _, raw := send(t, request(t, http.MethodDelete, stack.cfg.PushBaseURL+"/_sandbox/webpush/subscriptions/"+sub.ID, "", anonymous))
	require.Equal(t, http.StatusNoContent, status, "%s", raw)

	orderID := placeCompletedOrder(t, c)
	n := waitNotification(t, orderID+"-completed", notifications.StatusSent, 30*time.Second)
	assert.Equal(t, notifications.ChannelEmail, n.Channel, "fell back to email")
	assert.Contains(t, n.Failures[notifications.ChannelPush], "410")
	assert.Len(t, messagesFor(orderID+"-completed:email"), 1)
	assert.Empty(t, pushesTo(sub.Endpoint))
	assert.Empty(t, devicesOf(t, c), "the gone subscription was deleted")
}

func TestACustomerWithoutDevicesWhoPrefersPushIsEmailed(t *testing.T) {
	c := pushCustomer(t)
	orderID := placeCompletedOrder(t, c)
	n := waitNotification(t, orderID+"-completed", notifications.StatusSent, 30*time.Second)
	assert.Equal(t, notifications.ChannelEmail, n.Channel)
	assert.Contains(t, n.Failures[notifications.ChannelPush], "no registered devices")
	assert.Len(t, messagesFor(orderID+"-completed:email"), 1)
}

func TestDevicesAPI(t *testing.T) {
	c, other := newCustomer(t), newCustomer(t)
	sub := browserSubscription(t)

	status, hdr, first := post(t, "/api/users/me/devices", registration(sub), bearer(c.AccessToken))
	require.Equal(t, http.StatusCreated, status, "%v", first)
	id := first["id"].(string)
	assert.Equal(t, "/api/users/me/devices/"+id, hdr.Get("Location"))
	assert.Equal(t, sub.Endpoint, first["endpoint"])
	assert.NotContains(t, first, "keys", "the subscription's keys are never shown")

	status, _, again := post(t, "/api/users/me/devices", registration(sub), bearer(c.AccessToken))
	assert.Equal(t, http.StatusOK, status, "registering it again is no error")
	assert.Equal(t, id, again["id"])
	status, _, phone := post(t, "/api/users/me/devices", `{"type":"mobile","platform":"android","token":"fcm:APA91b-it-token"}`, bearer(c.AccessToken))
	require.Equal(t, http.StatusCreated, status, "%v", phone)
	require.Len(t, devicesOf(t, c), 2)
	assert.Empty(t, devicesOf(t, other), "each sees their own")

	for name, body := range map[string]string{
		"an http endpoint off loopback": `{"type":"web_push","endpoint":"http://push.example.com/x","keys":{"p256dh":"` + sub.Keys.P256dh + `","auth":"` + sub.Keys.Auth + `"}}`,
		"keys that are not keys":        `{"type":"web_push","endpoint":"https://push.example.com/x","keys":{"p256dh":"abc","auth":"abc"}}`,
		"a phone without a platform":    `{"type":"mobile","token":"fcm:APA91b-it-token"}`,
	} {
		status, hdr, problem := post(t, "/api/users/me/devices", body, bearer(c.AccessToken))
		assert.Equal(t, http.StatusUnprocessableEntity, status, "%s: %v", name, problem)
		assert.Equal(t, "application/problem+json", hdr.Get("Content-Type"), name)
	}
	status, _, problem := post(t, "/api/users/me/devices", `{"type":"web_push","endpoint":"https://push.example.com/x","colour":"red"}`, bearer(c.AccessToken))
	assert.Equal(t, http.StatusBadRequest, status, "%v", problem)

	del := func(s session, id string) int {
		status, _, _ := send(t, request(t, http.MethodDelete, stack.apiURL+"/api/users/me/devices/"+id, "", bearer(s.AccessToken)))
		return status
	}
	assert.Equal(t, http.StatusNotFound, del(other, id), "not theirs")
	assert.Equal(t, http.StatusNotFound, del(c, "not-a-device"))
	assert.Equal(t, http.StatusNoContent, del(c, id))
	assert.Equal(t, http.StatusNotFound, del(c, id), "gone already")
	require.Len(t, devicesOf(t, c), 1)

	status, _, _ = get(t, "/api/users/me/devices", anonymous)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _, key := get(t, "/api/push/vapid-public-key", anonymous)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, stack.cfg.VAPIDPublicKey, key["public_key"])
	assert.False(t, strings.Contains(key["public_key"].(string), "="), "base64url without padding, as applicationServerKey takes it")
}
