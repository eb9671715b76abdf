package workflows

import (
	"errors"
	"fmt"
	"maps"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// NotificationWorkflow delivers one message. It tries the customer's channels
// in order of preference; a channel that refuses the message for good
// (invalid number, unsubscribed) or exhausts its retry budget hands over to
// the next. SMS and push wait out the customer's quiet hours unless the
// message is urgent.
//
// When every channel failed, the notification is recorded as failed and the
// workflow waits up to RetryWindow for a retry signal (the API's POST
// /api/notifications/{id}/retry, or `temporal workflow signal --name retry`)
// to try them all again; after that it fails.
func NotificationWorkflow(ctx workflow.Context, in notifications.Input) (notifications.State, error) {
	n := &notification{in: in, state: notifications.State{NotificationID: in.NotificationID, Round: 1},
		localFirst: workflow.GetVersion(ctx, localFirstSendChange, workflow.DefaultVersion, 1) >= 1}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (notifications.State, error) { return n.state, nil }); err != nil {
		return n.state, err
	}
	logger := workflow.GetLogger(ctx)
	retry := workflow.GetSignalChannel(ctx, SignalRetry)
	for {
		if n.deliver(ctx) {
			return n.state, nil
		}
		if err := ctx.Err(); err != nil {
			return n.state, err // cancelled (Web UI, CLI): not a delivery failure
		}
		n.record(ctx, notifications.StatusFailed)
		countNotification(ctx, n.state)
		logger.Warn("every channel failed; waiting for a retry signal", "notification_id", in.NotificationID,
			"order_id", in.OrderID, "round", n.state.Round, "failures", n.state.Failures)
		// A retry asked for while the channels were still being tried had
		// nothing to retry yet.
		for retry.ReceiveAsync(nil) {
		}
		if ok, _ := retry.ReceiveWithTimeout(ctx, RetryWindow, nil); !ok {
			if err := ctx.Err(); err != nil {
				return n.state, err
			}
			return n.state, fmt.Errorf("notification %s: every channel failed and no retry came within %s: %v",
				in.NotificationID, RetryWindow, n.state.Failures)
		}
		n.state.Round++
		logger.Info("retrying every channel on request", "notification_id", in.NotificationID, "order_id", in.OrderID, "round", n.state.Round)
	}
}

type notification struct {
	in    notifications.Input
	state notifications.State
	// localFirst makes each channel's first call a local activity (send).
	localFirst bool
}

// deliver tries each channel in turn and reports whether one took the message.
func (n *notification) deliver(ctx workflow.Context) bool {
	logger := workflow.GetLogger(ctx)
	n.state.Failures = map[string]string{}
	n.record(ctx, notifications.StatusPending)
	for _, channel := range n.in.Channels {
		activity, req, skip := n.request(ctx, channel)
		if skip != "" {
			n.state.Failures[channel] = skip
			continue
		}
		if interrupts(channel) {
			n.waitOutQuietHours(ctx)
		}
		var sent activities.SendResult
		if err := n.send(ctx, channel, activity, req, &sent); err != nil {
			if ctx.Err() != nil {
				return false
			}
			n.state.Failures[channel] = channelFailure(err)
			logger.Warn("channel failed, falling back", "notification_id", n.in.NotificationID, "order_id", n.in.OrderID,
				"channel", channel, "error", n.state.Failures[channel])
			continue
		}
		n.state.Channel, n.state.Provider, n.state.ProviderMessageID = channel, sent.Provider, sent.ProviderMessageID
		n.record(ctx, notifications.StatusSent)
		countNotification(ctx, n.state)
		return true
	}
	return false
}

// localFirstSendChange marks notifications whose first call on each
// channel is a local activity of the notifications worker running them.
// Notifications recorded before it (version 0) replay the regular activity
// alone.
const localFirstSendChange = "local-first-send"

// send makes a channel's call. From localFirstSendChange on, the first try
// is a local activity, tried once: a call that succeeds (nearly every one)
// costs the engine no activity events and no second workflow task, about
// half of a notification's state transitions. A failure a retry may fix (a
// provider's 5xx, an open breaker, a worker killed mid-call, which fails
// the workflow task and replays it) hands over to the regular activity with
// the channel's budget, whose retries an operator sees on the server; a
// permanent refusal is the channel's answer at once. The activity's
// idempotency key makes either call find a message already sent.
func (n *notification) send(ctx workflow.Context, channel string, activity, req any, sent *activities.SendResult) error {
	if n.localFirst {
		err := workflow.ExecuteLocalActivity(firstSendCtx(ctx), activity, req).Get(ctx, sent)
		var refusal *temporal.ApplicationError
		if err == nil || ctx.Err() != nil || errors.As(err, &refusal) && refusal.Type() == activities.ErrPermanentDelivery {
			return err
		}
		// The pause the regular activity's policy would have made: the
		// provider's or the breaker's word, or the first backoff step.
		pause := firstRetryInterval
		if refusal != nil && refusal.NextRetryDelay() > 0 {
			pause = refusal.NextRetryDelay()
		}
		workflow.GetLogger(ctx).Info("first try failed; retrying as a regular activity", "notification_id", n.in.NotificationID,
			"channel", channel, "retry_in", pause, "error", err)
		if err := workflow.Sleep(ctx, pause); err != nil {
			return err
		}
	}
	return workflow.ExecuteActivity(sendCtx(ctx, channel), activity, req).Get(ctx, sent)
}

// request returns the send activity and request of one channel, or why the
// channel is skipped.
func (n *notification) request(ctx workflow.Context, channel string) (activity, req any, skip string) {
	in := n.in
	d := activities.Delivery{NotificationID: in.NotificationID, OrderID: in.OrderID, IdempotencyKey: in.NotificationID + ":" + channel,
		LocalFirst: n.localFirst}
	const noAddress = "no address for this channel"
	switch channel {
	case notifications.ChannelEmail:
		if in.Email == "" {
			return nil, nil, noAddress
		}
		return notificationActivities.SendEmail, activities.SendEmailRequest{Delivery: d, To: in.Email, Subject: in.Subject, Body: in.Body}, ""
	case notifications.ChannelSMS:
		if in.Phone == "" {
			return nil, nil, noAddress
		}
		return notificationActivities.SendSMS, activities.SendSMSRequest{Delivery: d, To: in.Phone, Body: in.Body}, ""
	case notifications.ChannelPush:
		// The device named, or the customer's, which the activity reads.
		if in.DeviceToken == "" && in.CustomerID == "" {
			return nil, nil, noAddress
		}
		return notificationActivities.SendPush, activities.SendPushRequest{Delivery: d, DeviceToken: in.DeviceToken, CustomerID: in.CustomerID,
			Title: in.Subject, Body: in.Body}, ""
	case notifications.ChannelWebhook:
		if in.WebhookURL == "" {
			return nil, nil, noAddress
		}
		event := activities.WebhookEvent{ID: in.NotificationID, Type: in.Kind, OrderID: in.OrderID, Subject: in.Subject, Body: in.Body,
			Time: workflow.Now(ctx).UTC()}
		return notificationActivities.SendWebhook, activities.SendWebhookRequest{Delivery: d, URL: in.WebhookURL, Event: event}, ""
	default:
		return nil, nil, "unknown channel"
	}
}

// record stores the state in the notifications read model with a local
// activity: bookkeeping needs no separate worker, and costs a fraction of
// the history a regular activity does.
func (n *notification) record(ctx workflow.Context, status notifications.Status) {
	n.state.Status = status
	n.state.UpdatedAt = workflow.Now(ctx)
	// The local activity gets its input in memory and may outlive a
	// cancelled wait: it gets its own copy of the failures map.
	st := n.state
	st.Failures = maps.Clone(st.Failures)
	req := activities.RecordNotificationRequest{Input: n.in, State: st}
	if err := workflow.ExecuteLocalActivity(recordCtx(ctx), notificationActivities.RecordNotification, req).Get(ctx, nil); err != nil {
		// A write the database refuses for good (non-retryable), or a week
		// of failed writes (recordCtx): the notification goes on, and a
		// later write of a newer state can still land.
		workflow.GetLogger(ctx).Error("recording notification state failed", "notification_id", n.in.NotificationID, "error", err)
	}
}
