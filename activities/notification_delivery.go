package activities

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/platform/breaker"
)

// route is where a delivery goes: its channel, the provider that carries it
// and the circuit breaker in front of that provider.
type route struct {
	channel, provider, breaker string
}

// recordTimeout bounds writing down a call's outcome, which must happen even
// when the call used up the activity's own time.
const recordTimeout = 5 * time.Second

// deliver makes one provider call for d, at most once per idempotency key:
//
//  1. A call already accepted under the key is not made again: neither
//     SendGrid nor Twilio deduplicates, and this may be a retry after the
//     provider accepted the message but the activity's result was lost.
//  2. While the provider's circuit breaker is open the call is not made: the
//     activity fails with ErrCircuitOpen and a NextRetryDelay of when the
//     breaker lets a call through, so Temporal's next attempt comes then
//     instead of on the backoff schedule. The channel's budget is time, not
//     attempts, so waiting uses up nothing but the time it takes.
//  3. The call is recorded before it is made ("sending") and after.
//
// A worker that dies between the provider's acceptance and step 3's second
// write leaves a "sending" row; the next attempt marks it interrupted and
// sends again. That window (one HTTP response and one write long) is the
// remaining at-least-once: the customer may get the message twice, never
// not at all.
func (a *NotificationActivities) deliver(ctx context.Context, d Delivery, r route,
	send func(context.Context) (providers.Receipt, error)) (SendResult, error) {
	info := activity.GetInfo(ctx)
	attempt := info.Attempt
	if d.LocalFirst && !info.IsLocalActivity {
		attempt++
	}
	logger := log.With(activity.GetLogger(ctx), "notification_id", d.NotificationID, "order_id", d.OrderID,
		"channel", r.channel, "provider", r.provider, "attempt", attempt)

	id, sent, err := a.Store.SentMessageID(ctx, d.IdempotencyKey)
	if err != nil {
		return SendResult{}, fmt.Errorf("look up earlier attempts: %w", err)
	}
	if sent {
		logger.Info("already sent; not sending again", "provider_message_id", id)
		r.count("sent")
		return SendResult{Provider: r.provider, ProviderMessageID: id}, nil
	}

	ticket, err := a.Breakers.Get(r.breaker).Allow(ctx)
	if err != nil {
		var open *breaker.OpenError
		if !errors.As(err, &open) {
			return SendResult{}, err
		}
		// Jitter spreads the waiting attempts, so they do not all come back
		// in the same instant the breaker closes.
		wait := open.RetryIn + rand.N(time.Second)
		logger.Info("circuit breaker open; waiting", "breaker", open.Name, "retry_in", wait)
		r.count("breaker_open")
		return SendResult{}, temporal.NewApplicationErrorWithOptions(err.Error(), ErrCircuitOpen,
			temporal.ApplicationErrorOptions{NextRetryDelay: wait})
	}

	attemptID, err := a.Store.StartAttempt(ctx, notifications.NewAttempt{
		NotificationID: d.NotificationID, Channel: r.channel, Provider: r.provider,
		IdempotencyKey: d.IdempotencyKey, Attempt: int(attempt),
	})
	if err != nil {
		ticket.Release(ctx)
		return SendResult{}, fmt.Errorf("record attempt: %w", err)
	}

	receipt, sendErr := send(ctx)
	if ctx.Err() != nil {
		ticket.Release(ctx) // our own cancellation says nothing of the provider
	} else {
		// A refusal (invalid number) is an answer from a healthy provider.
		ticket.Report(ctx, sendErr == nil || providers.IsPermanent(sendErr))
	}

	outcome := notifications.Outcome{StatusCode: receipt.Status, ProviderMessageID: receipt.MessageID}
	if sendErr != nil {
		outcome = notifications.Outcome{StatusCode: providers.StatusOf(sendErr), Error: sendErr.Error(), Permanent: providers.IsPermanent(sendErr)}
	}
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := a.Store.FinishAttempt(recordCtx, attemptID, outcome); err != nil {
		// The provider's answer stands: a sent message is still reported as
		// sent, and the workflow records it. Only a retry of this very
		// activity (its completion lost too) would send it again.
		logger.Error("provider call not recorded", "error", err, "provider_message_id", receipt.MessageID)
	}

	if sendErr != nil {
		// Providers quote the address they refused: it goes no further
		// than the attempt's row.
		reason := notifications.Redact(sendErr.Error())
		logger.Warn("provider call failed", "status_code", outcome.StatusCode, "permanent", outcome.Permanent, "error", reason)
		if outcome.Permanent {
			r.count("refused")
		} else {
			r.count("failed")
		}
		return SendResult{}, deliveryError(sendErr, reason)
	}
	r.count("sent")
	logger.Info("message sent", "provider_message_id", receipt.MessageID, "status_code", receipt.Status)
	return SendResult{Provider: r.provider, ProviderMessageID: receipt.MessageID}, nil
}

// deliveryError makes permanent provider refusals (invalid number,
// unsubscribed) non-retryable so the workflow falls back at once, and passes
// a provider's Retry-After on to Temporal's next retry, with message for
// its text.
func deliveryError(err error, message string) error {
	if providers.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(message, ErrPermanentDelivery, nil)
	}
	wait, _ := providers.RetryAfter(err) // 0: Temporal's backoff decides
	return temporal.NewApplicationErrorWithOptions(message, ErrTransientDelivery,
		temporal.ApplicationErrorOptions{NextRetryDelay: wait})
}
