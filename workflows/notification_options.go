package workflows

import (
	"errors"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// channelBudget is how long a channel is retried before the message falls
// back to the next channel, and the longest pause between two attempts.
type channelBudget struct {
	giveUpAfter time.Duration
	maxInterval time.Duration
}

// channelBudgets are the explicit retry policies of the channels. A budget
// is time, not a number of attempts: an attempt turned away by an open
// circuit breaker costs an attempt while it waits for the breaker (the
// activity returns ErrCircuitOpen with the wait as its NextRetryDelay), and
// must not eat a budget meant for real failures. A provider down for longer
// than its budget is given up, and the next channel tried.
var channelBudgets = map[string]channelBudget{
	// Email is read later anyway; SendGrid's hiccups are usually short.
	notifications.ChannelEmail: {giveUpAfter: 15 * time.Minute, maxInterval: time.Minute},
	// A text that arrives much later than the event it reports is confusing.
	notifications.ChannelSMS: {giveUpAfter: 10 * time.Minute, maxInterval: time.Minute},
	// A late push is worthless.
	notifications.ChannelPush: {giveUpAfter: 5 * time.Minute, maxInterval: 30 * time.Second},
	// Receivers are the customer's servers: deploys and outages last longer.
	notifications.ChannelWebhook: {giveUpAfter: time.Hour, maxInterval: 5 * time.Minute},
}

// sendCtx sends on one channel: exponential backoff from one second, doubled
// each time up to the channel's maximum interval, for the channel's budget.
// A provider's Retry-After, or an open breaker, replaces the backoff for one
// attempt (NextRetryDelay). Permanent refusals are not retried.
func sendCtx(ctx workflow.Context, channel string) workflow.Context {
	b := channelBudgets[channel]
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// Above the providers' 10 s HTTP timeout, so a slow call ends as a
		// transient error the activity records, not as a lost attempt.
		StartToCloseTimeout:    20 * time.Second,
		ScheduleToCloseTimeout: b.giveUpAfter,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    firstRetryInterval,
			BackoffCoefficient: 2,
			MaximumInterval:    b.maxInterval,
			// A backstop only: giveUpAfter is the budget (see channelBudgets).
			MaximumAttempts:        1000,
			NonRetryableErrorTypes: []string{activities.ErrPermanentDelivery},
		},
	})
}

// firstRetryInterval is the first step of a send's backoff.
const firstRetryInterval = time.Second

// firstSendCtx is a channel's first try, as a local activity: once, with
// the regular activity's timeout (see sendCtx and notification.send).
func firstSendCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// channelFailure says why a channel did not deliver: the provider's
// permanent refusal, or else the last error before the channel's budget ran
// out, since nothing else stops a send activity's retries.
func channelFailure(err error) string {
	var refusal *temporal.ApplicationError
	if errors.As(err, &refusal) && (refusal.NonRetryable() || refusal.Type() == activities.ErrPermanentDelivery) {
		return refusal.Message()
	}
	return "retry budget exhausted: " + failureReason(err)
}
