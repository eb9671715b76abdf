package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// NotificationWorkflow delivers one message, trying the channels in order of
// preference: a channel that fails permanently (invalid number) or exhausts
// its retries hands over to the next one.
func NotificationWorkflow(ctx workflow.Context, in NotificationInput) (NotificationResult, error) {
	logger := workflow.GetLogger(ctx)
	result := NotificationResult{Failures: map[string]string{}}
	ctx = sendCtx(ctx)
	for _, channel := range in.Channels {
		key := in.NotificationID + ":" + channel
		var sent SendResult
		var err error
		switch {
		case channel == ChannelEmail && in.Email != "":
			req := SendEmailRequest{IdempotencyKey: key, To: in.Email, Subject: in.Subject, Body: in.Body}
			err = workflow.ExecuteActivity(ctx, ActivitySendEmail, req).Get(ctx, &sent)
		case channel == ChannelSMS && in.Phone != "":
			req := SendSMSRequest{IdempotencyKey: key, To: in.Phone, Body: in.Body}
			err = workflow.ExecuteActivity(ctx, ActivitySendSMS, req).Get(ctx, &sent)
		default:
			result.Failures[channel] = "no address for this channel"
			continue
		}
		if err != nil {
			logger.Warn("channel failed, falling back", "order_id", in.OrderID, "channel", channel, "error", err)
			result.Failures[channel] = failureReason(err)
			continue
		}
		result.Channel, result.ProviderMessageID = channel, sent.ProviderMessageID
		return result, nil
	}
	return result, fmt.Errorf("notification %s: every channel failed: %v", in.NotificationID, result.Failures)
}
