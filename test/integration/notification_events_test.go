package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enums "go.temporal.io/api/enums/v1"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/events"
)

// sendGridSigner is an API replica that verifies SendGrid events with a key
// this test holds, so that it can post a bounce the sandbox never sends.
type sendGridSigner struct {
	url string
	key *ecdsa.PrivateKey
}

func newSendGridSigner(t *testing.T) sendGridSigner {
	t.Helper()
	private, public := sandbox.NewEventWebhookKey()
	key, err := sandbox.ParseEventWebhookKey(private)
	require.NoError(t, err)
	url := startAPIReplica(t, func(cfg *config.Stack) { cfg.SendGridWebhookPublicKey = public })
	return sendGridSigner{url: url, key: key}
}

// post posts a batch of SendGrid events signed as SendGrid signs them.
func (s sendGridSigner) post(t *testing.T, batch string) int {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	digest := sha256.Sum256([]byte(ts + batch))
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, digest[:])
	require.NoError(t, err)
	status, _, _ := send(t, request(t, http.MethodPost, s.url+"/webhooks/sendgrid", batch, anonymous,
		map[string]string{"Content-Type": "application/json"}, map[string]string{
			eventwebhook.VerificationHTTPHeader: base64.StdEncoding.EncodeToString(sig), eventwebhook.TimestampHTTPHeader: ts,
		}))
	return status
}

// notificationEvents reads notifications.events from the start with a
// consumer group of its own, and returns the events of one notification
// once until holds of them and settle more has passed, so that a duplicate
// published late would be seen.
func notificationEvents(t *testing.T, id string, until func([]events.CloudEvent) bool, settle time.Duration) ([]events.CloudEvent, []kafka.Message) {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: stack.cfg.KafkaBrokers, GroupID: "it-" + id, Topic: events.NotificationsTopic,
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var evs []events.CloudEvent
	var msgs []kafka.Message
	var settled time.Time // when until first held, plus settle
	for {
		fetchCtx, stop := ctx, context.CancelFunc(func() {})
		if !settled.IsZero() {
			fetchCtx, stop = context.WithDeadline(ctx, settled)
		}
		m, err := r.FetchMessage(fetchCtx)
		stop()
		if !settled.IsZero() && err != nil && ctx.Err() == nil {
			return evs, msgs
		}
		require.NoError(t, err, "notifications.events: want more events of %s, have %v", id, typesOf(evs))
		require.NoError(t, r.CommitMessages(ctx, m))
		var ev events.CloudEvent
		require.NoError(t, json.Unmarshal(m.Value, &ev))
		if ev.Subject != id {
			continue
		}
		evs, msgs = append(evs, ev), append(msgs, m)
		if settled.IsZero() && until(evs) {
			settled = time.Now().Add(settle)
		}
	}
}

func typesOf(evs []events.CloudEvent) []string {
	var out []string
	for _, ev := range evs {
		var d notifications.EventData
		_ = json.Unmarshal(ev.Data, &d)
		out = append(out, ev.Type+"/"+d.Channel)
	}
	return out
}

func TestLateBounceMovesTheMessageToTheNextChannelOnce(t *testing.T) {
	signer := newSendGridSigner(t)
	id := uniqueID("late-bounce")
	const email = "ada.bounce@example.com"
	in := notifications.Input{
		NotificationID: id, OrderID: "it-order-" + id, Kind: "order.completed",
		Channels: []string{notifications.ChannelEmail, notifications.ChannelSMS},
		Email:    email, Phone: validPhone, Subject: "Order confirmed", Body: "Your order is confirmed, thank you.",
	}
	notify(t, in)

	// The email goes first, and SendGrid (the sandbox) reports it delivered.
	n := waitNotification(t, id, notifications.StatusSent, 30*time.Second, delivered)
	require.Equal(t, notifications.ChannelEmail, n.Channel)
	require.Len(t, messagesFor(id+":email"), 1)
	require.Empty(t, messagesFor(id+":sms"))

	// Later, the mailbox bounces it. SendGrid posts the bounce, and posts it
	// again (its retries, or a replayed batch).
	bounce := fmt.Sprintf(`[{"event":"bounce","email":%q,"sg_event_id":"bounce-%s","sg_message_id":"%s.filterdrecv-0","timestamp":%d,`+
		`"reason":"550 5.1.1 <%s>: Recipient address rejected: User unknown","type":"bounce"}]`,
		email, id, n.ProviderMessageID, time.Now().Unix(), email)
	require.Equal(t, http.StatusNoContent, signer.post(t, bounce))
	require.Equal(t, http.StatusNoContent, signer.post(t, bounce), "a repeated callback is taken, and changes nothing")

	// The message moves on to the customer's next channel: the SMS is sent.
	n = waitNotification(t, id, notifications.StatusSent, 30*time.Second, func(n notifications.Notification) bool {
		return n.Channel == notifications.ChannelSMS
	})
	assert.Equal(t, providers.TwilioName, n.Provider)
	follow := in
	follow.After = notifications.ChannelEmail
	assert.Equal(t, follow.WorkflowID(), n.WorkflowID, "a retry of the message goes to the follow-up")
	desc, err := stack.temporal.DescribeWorkflowExecution(context.Background(), follow.WorkflowID(), "")
	require.NoError(t, err)
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.WorkflowExecutionInfo.Status)

	// A bounce of the same message arriving once more, as another event,
	// moves nothing either.
	again := strings.Replace(bounce, "bounce-"+id, "bounce-again-"+id, 1)
	require.Equal(t, http.StatusNoContent, signer.post(t, again))

	evs, msgs := notificationEvents(t, id, func(evs []events.CloudEvent) bool {
		var sentSMS, bounced bool
		for _, ev := range evs {
			var d notifications.EventData
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			sentSMS = sentSMS || ev.Type == notifications.EventSent && d.Channel == notifications.ChannelSMS
			bounced = bounced || ev.Type == notifications.EventBounced
		}
		return sentSMS && bounced
	}, 3*time.Second)
	require.Len(t, messagesFor(id+":sms"), 1, "the SMS was sent once, for two callbacks and a second bounce event")
	require.Len(t, messagesFor(id+":email"), 1)

	count := map[string]int{}
	for i, ev := range evs {
		var d notifications.EventData
		require.NoError(t, json.Unmarshal(ev.Data, &d))
		count[ev.Type+"/"+d.Channel]++
		assert.Equal(t, id, string(msgs[i].Key), "keyed by notification ID")
		assert.Equal(t, "/orderflow/notifications", ev.Source)
		assert.Equal(t, id, d.NotificationID)
		assert.Equal(t, in.OrderID, d.OrderID)
		raw := string(msgs[i].Value)
		for _, personal := range []string{email, validPhone, in.Body, "ada.bounce"} {
			assert.NotContains(t, raw, personal, "%s carries personal data", ev.Type)
		}
		switch {
		case ev.Type == notifications.EventSent && d.Channel == notifications.ChannelEmail:
			assert.Equal(t, providers.SendGridName, d.Provider)
			assert.Equal(t, messagesFor(id + ":email")[0].ID, d.ProviderMessageID)
			assert.Equal(t, 1, d.Attempt)
		case ev.Type == notifications.EventBounced:
			assert.Equal(t, notifications.ChannelEmail, d.Channel)
			assert.Equal(t, "bounce", d.ProviderEvent)
			assert.Contains(t, d.Reason, "550 5.1.1", "the reason, without the address")
		case ev.Type == notifications.EventSent && d.Channel == notifications.ChannelSMS:
			assert.Equal(t, providers.TwilioName, d.Provider)
			assert.Equal(t, n.ProviderMessageID, d.ProviderMessageID)
		}
	}
	assert.Equal(t, 1, count[notifications.EventSent+"/email"], "events: %v", typesOf(evs))
	assert.Equal(t, 1, count[notifications.EventDelivered+"/email"], "events: %v", typesOf(evs))
	assert.Equal(t, 1, count[notifications.EventBounced+"/email"], "events: %v", typesOf(evs))
	assert.Equal(t, 1, count[notifications.EventSent+"/sms"], "events: %v", typesOf(evs))
}
