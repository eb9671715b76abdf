package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/sony/gobreaker/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/breaker"
	"github.com/orderflow/orderflow/internal/platform/webhooksign"
	"github.com/orderflow/orderflow/workflows"
)

const (
	// breakerOpenFor is the notification workers' breaker open period here
	// (30 s in production), so an outage test spans several periods quickly.
	breakerOpenFor = 3 * time.Second
	// outage is how long the provider stays down in the outage test: the
	// issue's minute, shortened to keep the suite quick; it spans five open
	// periods all the same.
	outage       = 15 * time.Second
	validPhone   = "+15005550006"
	invalidPhone = "+15005550001" // Twilio's magic "invalid number"
)

// notify starts a NotificationWorkflow the way the order saga does, by its
// notification ID; a second request for a running one joins it.
func notify(t testing.TB, in notifications.Input) {
	t.Helper()
	_, err := stack.temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID:                       notifications.WorkflowID(in.NotificationID),
		TaskQueue:                workflows.NotificationsTaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.NotificationWorkflow, in)
	require.NoError(t, err)
}

func sms(id, phone string) notifications.Input {
	return notifications.Input{
		NotificationID: id, OrderID: "it-order", Kind: "order.completed", Channels: []string{notifications.ChannelSMS},
		Phone: phone, Subject: "Order confirmed", Body: "Your order is confirmed.",
	}
}

// uniqueID keeps tests independent of each other's notifications, and of a
// rerun's: the workflow IDs and idempotency keys are all new.
func uniqueID(name string) string {
	return fmt.Sprintf("it-%s-%d", name, time.Now().UnixNano())
}

func getNotification(t *testing.T, id string) (int, notifications.Notification) {
	t.Helper()
	var n notifications.Notification
	status := getAs(t, "/api/notifications/"+url.PathEscape(id), &n, asAdmin)
	return status, n
}

// waitNotification polls the API until the notification has status and,
// when check is given, check holds.
func waitNotification(t *testing.T, id string, status notifications.Status, within time.Duration, check ...func(notifications.Notification) bool) notifications.Notification {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, n := getNotification(t, id)
		done := n.Status == status
		for _, c := range check {
			done = done && c(n)
		}
		if done {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("notification %s: want %s after %s, last seen %+v", id, status, within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func delivered(n notifications.Notification) bool {
	return n.Delivery != nil && n.Delivery.State == notifications.DeliveryDelivered
}

// messagesFor returns the messages the sandbox accepted for one idempotency key.
func messagesFor(key string) []sandbox.Message {
	var out []sandbox.Message
	for _, m := range stack.sandbox.Messages() {
		if m.IdempotencyKey == key {
			out = append(out, m)
		}
	}
	return out
}

func addFault(t *testing.T, f sandbox.Fault) {
	t.Helper()
	require.NoError(t, stack.sandbox.AddFault(f))
	t.Cleanup(stack.sandbox.ClearFaults)
}

func TestSMSIsDeliveredOnceAfterThreeProviderErrors(t *testing.T) {
	id := uniqueID("sms-503")
	addFault(t, sandbox.Fault{Provider: sandbox.ProviderTwilio, Status: 503, Times: 3})
	notify(t, sms(id, validPhone))

	n := waitNotification(t, id, notifications.StatusSent, 30*time.Second, delivered)
	require.Len(t, messagesFor(id+":sms"), 1, "one message reached the provider")
	msg := messagesFor(id + ":sms")[0]
	assert.Equal(t, validPhone, msg.To)
	assert.Equal(t, notifications.ChannelSMS, n.Channel)
	assert.Equal(t, providers.TwilioName, n.Provider)
	assert.Equal(t, msg.ID, n.ProviderMessageID)
	assert.Equal(t, "delivered", n.Delivery.Event, "Twilio's signed status callback reached the API")

	require.Len(t, n.Attempts, 4, "every provider call is recorded")
	for i, a := range n.Attempts[:3] {
		assert.Equal(t, notifications.AttemptFailed, a.Status, "attempt %d", i+1)
		assert.Equal(t, 503, *a.StatusCode)
		assert.False(t, a.Permanent)
		assert.Contains(t, a.Error, "503")
		assert.NotNil(t, a.FinishedAt)
	}
	last := n.Attempts[3]
	assert.Equal(t, notifications.AttemptSent, last.Status)
	assert.Equal(t, 201, *last.StatusCode)
	assert.Equal(t, msg.ID, last.ProviderMessageID)
	assert.Equal(t, []int{1, 2, 3, 4}, []int{n.Attempts[0].Attempt, n.Attempts[1].Attempt, n.Attempts[2].Attempt, last.Attempt})
	// The sandbox answers 503 with Retry-After: 1; the backoff alone would wait 1+2+4 s.
	retrying := last.StartedAt.Sub(n.Attempts[0].StartedAt)
	assert.GreaterOrEqual(t, retrying, 3*time.Second)
	assert.Less(t, retrying, 6*time.Second, "Retry-After was honoured")
}

func TestInvalidNumberFallsBackToEmail(t *testing.T) {
	id := uniqueID("fallback")
	in := sms(id, invalidPhone)
	in.Channels, in.Email = []string{notifications.ChannelSMS, notifications.ChannelEmail}, "ada@example.com"
	notify(t, in)

	n := waitNotification(t, id, notifications.StatusSent, 30*time.Second, delivered)
	assert.Equal(t, notifications.ChannelEmail, n.Channel)
	assert.Equal(t, providers.SendGridName, n.Provider)
	assert.Contains(t, n.Failures[notifications.ChannelSMS], "21211", "Twilio's invalid-number code")
	require.Len(t, n.Attempts, 2, "the invalid number was not retried")
	assert.True(t, n.Attempts[0].Permanent)
	assert.Equal(t, 400, *n.Attempts[0].StatusCode)
	assert.Empty(t, messagesFor(id+":sms"))
	require.Len(t, messagesFor(id+":email"), 1)
	assert.Equal(t, "delivered", n.Delivery.Event, "SendGrid's signed event webhook reached the API")
	assert.Equal(t, n.Delivery, n.Attempts[1].Delivery)
}

func TestProviderOutageIsNotHammered(t *testing.T) {
	opts, err := redis.ParseURL(stack.cfg.RedisURL)
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	twilio := breaker.New(rdb, providers.TwilioName, breaker.Settings{}, slog.New(slog.DiscardHandler))
	addFault(t, sandbox.Fault{Provider: sandbox.ProviderTwilio, Down: true})
	down := time.Now()

	first := uniqueID("outage")
	notify(t, sms(first, validPhone))
	require.Eventually(t, func() bool {
		st, err := twilio.State(context.Background())
		return err == nil && st == gobreaker.StateOpen
	}, 20*time.Second, 50*time.Millisecond, "consecutive failures open the breaker")
	callsWhenOpened := stack.sandbox.Stats()[sandbox.ProviderTwilio]

	// Messages sent while the provider is down wait on the breaker.
	var ids []string
	for i := range 10 {
		id := fmt.Sprintf("%s-%d", first, i)
		notify(t, sms(id, validPhone))
		ids = append(ids, id)
	}
	time.Sleep(time.Until(down.Add(outage)))
	callsWhileOpen := stack.sandbox.Stats()[sandbox.ProviderTwilio] - callsWhenOpened
	stack.sandbox.ClearFaults()

	// One probe per open period reaches the provider; eleven messages
	// retrying every second (Retry-After: 1) would make well over a hundred.
	periods := int(time.Since(down)/breakerOpenFor) + 1
	assert.LessOrEqual(t, callsWhileOpen, periods+2, "calls while the breaker was open")
	t.Logf("calls to the provider while its breaker was open for %s: %d", time.Since(down).Round(time.Second), callsWhileOpen)

	for _, id := range append(ids, first) {
		waitNotification(t, id, notifications.StatusSent, 30*time.Second)
		require.Len(t, messagesFor(id+":sms"), 1, "notification %s delivered once, after the outage", id)
	}
	_, n := getNotification(t, ids[0])
	for _, a := range n.Attempts {
		assert.NotEqual(t, notifications.AttemptInterrupted, a.Status)
	}
	st, err := twilio.State(context.Background())
	require.NoError(t, err)
	assert.Equal(t, gobreaker.StateClosed, st, "a successful probe closed the breaker")
}

func TestSameNotificationRequestedTwiceIsSentOnce(t *testing.T) {
	id := uniqueID("twice")
	notify(t, sms(id, validPhone))
	notify(t, sms(id, validPhone)) // joins the running workflow
	waitNotification(t, id, notifications.StatusSent, 30*time.Second)

	// Once the first run has closed, a new request starts a new run, whose
	// activity finds the message already sent.
	run := stack.temporal.GetWorkflow(context.Background(), notifications.WorkflowID(id), "")
	require.NoError(t, run.Get(context.Background(), nil))
	notify(t, sms(id, validPhone))
	again := stack.temporal.GetWorkflow(context.Background(), notifications.WorkflowID(id), "")
	require.NotEqual(t, run.GetRunID(), again.GetRunID(), "a second run")
	var st notifications.State
	require.NoError(t, again.Get(context.Background(), &st))

	require.Len(t, messagesFor(id+":sms"), 1)
	assert.Equal(t, messagesFor(id + ":sms")[0].ID, st.ProviderMessageID, "the second run reports the first run's message")
	_, n := getNotification(t, id)
	assert.Len(t, n.Attempts, 1, "no second provider call")
}

func TestFailedNotificationCanBeRetried(t *testing.T) {
	failEveryChannel := func(t *testing.T, id string) {
		t.Helper()
		addFault(t, sandbox.Fault{Provider: sandbox.ProviderTwilio, Status: 400, Times: 1})
		addFault(t, sandbox.Fault{Provider: sandbox.ProviderSendGrid, Status: 403, Times: 1})
		in := sms(id, validPhone)
		in.Channels, in.Email = []string{notifications.ChannelSMS, notifications.ChannelEmail}, "ada@example.com"
		notify(t, in)
		n := waitNotification(t, id, notifications.StatusFailed, 30*time.Second)
		assert.Len(t, n.Failures, 2)
		assert.Equal(t, 1, n.Round)
		// The workflow is still running, waiting for a retry.
		desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), notifications.WorkflowID(id), "")
		require.NoError(t, err)
		assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.WorkflowExecutionInfo.Status)
	}

	t.Run("through the API", func(t *testing.T) {
		id := uniqueID("retry-api")
		failEveryChannel(t, id)
		status, hdr, body := post(t, "/api/notifications/"+id+"/retry", "", asAdmin)
		require.Equal(t, http.StatusAccepted, status, "%v", body)
		assert.Equal(t, "/api/notifications/"+id, hdr.Get("Location"))

		n := waitNotification(t, id, notifications.StatusSent, 30*time.Second)
		assert.Equal(t, 2, n.Round)
		assert.Equal(t, notifications.ChannelSMS, n.Channel)
		assert.Len(t, messagesFor(id+":sms"), 1)

		status, _, body = post(t, "/api/notifications/"+id+"/retry", "", asAdmin)
		assert.Equal(t, http.StatusConflict, status, "a sent notification is not retried: %v", body)
	})

	t.Run("with the temporal CLI", func(t *testing.T) {
		id := uniqueID("retry-cli")
		failEveryChannel(t, id)
		// The command docs/notifications.md gives.
		out, err := exec.Command(filepath.Join("..", "..", "bin", "temporal"), "workflow", "signal",
			"--address", stack.cfg.TemporalAddress,
			"--workflow-id", notifications.WorkflowID(id), "--name", workflows.SignalRetry).CombinedOutput()
		require.NoError(t, err, "%s", out)
		n := waitNotification(t, id, notifications.StatusSent, 30*time.Second)
		assert.Equal(t, 2, n.Round)
	})
}

func TestNotificationAPIRefusesBadRequests(t *testing.T) {
	for path, want := range map[string]int{
		"/api/notifications/nope":                        http.StatusNotFound,
		"/api/notifications/" + strings.Repeat("x", 201): http.StatusNotFound,
		"/api/notifications/bad%20id":                    http.StatusNotFound,
		"/api/notifications?order_id=a%20b":              http.StatusBadRequest,
		"/api/notifications?status=lost":                 http.StatusBadRequest,
		"/api/notifications?cursor=garbage":              http.StatusBadRequest,
		"/api/notifications?limit=0":                     http.StatusBadRequest,
	} {
		status, hdr, body := get(t, path, asAdmin)
		assert.Equal(t, want, status, "%s: %v", path, body)
		assert.Equal(t, "application/problem+json", hdr.Get("Content-Type"), path)
	}
	status, _, _ := post(t, "/api/notifications/nope/retry", "", asAdmin)
	assert.Equal(t, http.StatusNotFound, status)
}

func TestOrderMessagesAreListedByOrder(t *testing.T) {
	status, _, body := post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	orderID := body["id"].(string)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, orderID).Status)

	var list struct {
		Items []notifications.Notification `json:"items"`
	}
	require.Eventually(t, func() bool {
		getAs(t, "/api/notifications?order_id="+orderID, &list, asAdmin)
		return len(list.Items) == 1 && list.Items[0].Status == notifications.StatusSent
	}, 30*time.Second, 100*time.Millisecond)
	n := list.Items[0]
	assert.Equal(t, orderID+"-completed", n.ID)
	assert.Equal(t, "order.completed", n.Kind)
	assert.Equal(t, []string{notifications.ChannelEmail, notifications.ChannelSMS}, n.Channels)
	assert.Equal(t, notifications.ChannelEmail, n.Channel)
	assert.False(t, n.Urgent)
	assert.Empty(t, n.Attempts, "the list leaves attempts out")

	// The customer reads what they were told, without the providers' side.
	var told struct {
		Items []map[string]any `json:"items"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+orderID+"/notifications", &told))
	require.Len(t, told.Items, 1)
	assert.Equal(t, notifications.ChannelEmail, told.Items[0]["channel"])
	assert.Equal(t, "order.completed", told.Items[0]["kind"])
	for _, hidden := range []string{"provider", "provider_message_id", "failures"} {
		assert.NotContains(t, told.Items[0], hidden)
	}
	var seen struct {
		Items []map[string]any `json:"items"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/orders/"+orderID+"/notifications", &seen, asAdmin))
	assert.Contains(t, seen.Items[0], "provider", "an admin sees it all")
	other := newCustomer(t)
	status, _, _ = get(t, "/api/orders/"+orderID+"/notifications", bearer(other.AccessToken))
	assert.Equal(t, http.StatusNotFound, status)

	// Everyone's, newest first, a page at a time; and by status. A second
	// order makes a second page, whatever ran before.
	status, _, body = post(t, "/api/orders", orderBody("MUG-CERAMIC", 1, "tok_visa"))
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	second := body["id"].(string)
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, second).Status)
	require.Eventually(t, func() bool {
		getAs(t, "/api/notifications?order_id="+second, &list, asAdmin)
		return len(list.Items) == 1
	}, 30*time.Second, 100*time.Millisecond)
	var page struct {
		Items      []notifications.Notification `json:"items"`
		NextCursor string                       `json:"next_cursor"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/notifications?limit=1", &page, asAdmin))
	require.Len(t, page.Items, 1)
	require.NotEmpty(t, page.NextCursor)
	var next struct {
		Items []notifications.Notification `json:"items"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/notifications?limit=1&cursor="+page.NextCursor, &next, asAdmin))
	require.Len(t, next.Items, 1)
	assert.NotEqual(t, page.Items[0].ID, next.Items[0].ID, "the next page starts after the first")
	var sent struct {
		Items []notifications.Notification `json:"items"`
	}
	require.Equal(t, http.StatusOK, getAs(t, "/api/notifications?status=sent&limit=100", &sent, asAdmin))
	require.NotEmpty(t, sent.Items)
	for _, m := range sent.Items {
		assert.Equal(t, notifications.StatusSent, m.Status)
	}
}

// An order's message goes the way its customer asked in their profile:
// their channels in their order, held by their quiet hours in their time
// zone.
func TestOrderMessagesFollowTheCustomersPreferences(t *testing.T) {
	placeOrder := func(t *testing.T, c session) string {
		t.Helper()
		status, _, body := post(t, "/api/orders", `{"items":[{"sku":"MUG-CERAMIC","quantity":1}],"payment":{"token":"tok_visa"}}`, bearer(c.AccessToken))
		require.Equal(t, http.StatusAccepted, status, "%v", body)
		id := body["id"].(string)
		require.Equal(t, orders.StatusCompleted, waitForFinal(t, id).Status)
		return id + "-completed"
	}

	t.Run("SMS first", func(t *testing.T) {
		c := newCustomer(t)
		status, me := updateProfile(t, c, `{"phone":"`+validPhone+`","notification_preferences":{"channels":["sms","email"]}}`)
		require.Equal(t, http.StatusOK, status, "%v", me)
		id := placeOrder(t, c)

		n := waitNotification(t, id, notifications.StatusSent, 30*time.Second)
		assert.Equal(t, []string{notifications.ChannelSMS, notifications.ChannelEmail}, n.Channels)
		assert.Equal(t, notifications.ChannelSMS, n.Channel)
		require.NotEmpty(t, n.Attempts)
		assert.Equal(t, notifications.ChannelSMS, n.Attempts[0].Channel, "SMS was tried first")
		require.Len(t, messagesFor(id+":sms"), 1)
		assert.Equal(t, validPhone, messagesFor(id + ":sms")[0].To, "to the profile's phone")
		assert.Empty(t, messagesFor(id+":email"))
	})

	t.Run("quiet hours", func(t *testing.T) {
		// Quiet from an hour ago to two hours from now, in Tokyo.
		const zone = "Asia/Tokyo"
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		now := time.Now().In(loc)
		c := newCustomer(t)
		status, me := updateProfile(t, c, fmt.Sprintf(`{"phone":%q,"time_zone":%q,"notification_preferences":{"channels":["sms"],"quiet_hours":{"start":%q,"end":%q}}}`,
			validPhone, zone, now.Add(-time.Hour).Format("15:04"), now.Add(2*time.Hour).Format("15:04")))
		require.Equal(t, http.StatusOK, status, "%v", me)
		id := placeOrder(t, c)

		n := waitNotification(t, id, notifications.StatusScheduled, 30*time.Second)
		require.NotNil(t, n.ScheduledFor)
		assert.WithinRange(t, *n.ScheduledFor, now.Add(2*time.Hour-2*time.Minute), now.Add(2*time.Hour+time.Minute),
			"held until the quiet hours end")
		assert.Empty(t, messagesFor(id+":sms"), "nothing sent in the quiet hours")
	})
}

func TestPushFallsBackToASignedWebhook(t *testing.T) {
	id := uniqueID("webhook")
	notify(t, notifications.Input{
		NotificationID: id, OrderID: "it-order", Kind: "order.completed",
		Channels:    []string{notifications.ChannelPush, notifications.ChannelWebhook},
		DeviceToken: sandbox.UnregisteredPushToken, WebhookURL: stack.cfg.PushBaseURL + "/hooks/acme",
		Subject: "Order confirmed", Body: "Your order is confirmed.",
	})

	n := waitNotification(t, id, notifications.StatusSent, 30*time.Second)
	assert.Equal(t, notifications.ChannelWebhook, n.Channel)
	assert.Contains(t, n.Failures[notifications.ChannelPush], "410")
	hooks := messagesFor(id + ":webhook")
	require.Len(t, hooks, 1, "the receiver verified the signature and accepted it")
	var event activities.WebhookEvent
	require.NoError(t, json.Unmarshal([]byte(hooks[0].Body), &event))
	assert.Equal(t, id, event.ID)
	assert.Equal(t, "order.completed", event.Type)
	assert.Equal(t, id+":webhook", hooks[0].Headers[webhooksign.IDHeader], "webhook-id is the delivery's idempotency key")
	signed := http.Header{}
	for k, v := range hooks[0].Headers {
		signed.Set(k, v)
	}
	assert.NoError(t, webhooksign.Verify(stack.cfg.WebhookSigningSecret, signed, []byte(hooks[0].Body)))
}

// postCallback posts a provider's callback, which carries no token.
func postCallback(t *testing.T, path, contentType, body string, header map[string]string) int {
	t.Helper()
	status, _, _ := send(t, request(t, http.MethodPost, stack.apiURL+path, body, anonymous, map[string]string{"Content-Type": contentType}, header))
	return status
}

func TestForgedDeliveryCallbacksAreRejected(t *testing.T) {
	id := uniqueID("forged")
	in := sms(id, validPhone)
	in.Channels, in.Email = []string{notifications.ChannelSMS}, ""
	notify(t, in)
	n := waitNotification(t, id, notifications.StatusSent, 30*time.Second, delivered)

	const form = "application/x-www-form-urlencoded"
	undelivered := url.Values{"MessageSid": {n.ProviderMessageID}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}
	callbackURL := stack.apiURL + "/webhooks/twilio"
	assert.Equal(t, http.StatusUnauthorized, postCallback(t, "/webhooks/twilio", form, undelivered.Encode(), nil))
	assert.Equal(t, http.StatusForbidden, postCallback(t, "/webhooks/twilio", form, undelivered.Encode(),
		map[string]string{"X-Twilio-Signature": sandbox.TwilioSignature("not-the-token", callbackURL, undelivered)}))
	signedOther := url.Values{"MessageSid": {n.ProviderMessageID}, "MessageStatus": {"read"}}
	assert.Equal(t, http.StatusForbidden, postCallback(t, "/webhooks/twilio", form, undelivered.Encode(),
		map[string]string{"X-Twilio-Signature": sandbox.TwilioSignature(stack.cfg.TwilioAuthToken, callbackURL, signedOther)}),
		"a signature of another body")

	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	events := fmt.Sprintf(`[{"event":"bounce","sg_event_id":"forged-1","sg_message_id":%q,"timestamp":%d}]`, n.ProviderMessageID, time.Now().Unix())
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	digest := sha256.Sum256([]byte(ts + events))
	sig, err := ecdsa.SignASN1(rand.Reader, forger, digest[:])
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, postCallback(t, "/webhooks/sendgrid", "application/json", events, nil))
	assert.Equal(t, http.StatusForbidden, postCallback(t, "/webhooks/sendgrid", "application/json", events, map[string]string{
		eventwebhook.VerificationHTTPHeader: base64.StdEncoding.EncodeToString(sig), eventwebhook.TimestampHTTPHeader: ts,
	}))

	_, after := getNotification(t, id)
	assert.Equal(t, n.Delivery, after.Delivery, "forged callbacks changed nothing")

	// The same callback signed with the real token is taken: the checks
	// refuse forgeries, not callbacks.
	assert.Equal(t, http.StatusNoContent, postCallback(t, "/webhooks/twilio", form, undelivered.Encode(),
		map[string]string{"X-Twilio-Signature": sandbox.TwilioSignature(stack.cfg.TwilioAuthToken, callbackURL, undelivered)}))
	_, after = getNotification(t, id)
	require.NotNil(t, after.Delivery)
	assert.Equal(t, notifications.DeliveryUndelivered, after.Delivery.State)
	assert.Equal(t, "30003", after.Delivery.Detail)
}
