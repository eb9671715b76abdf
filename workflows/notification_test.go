package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

func TestNotificationFallsBackToNextChannelOnPermanentFailure(t *testing.T) {
	f := &fakeServices{emailErr: temporal.NewNonRetryableApplicationError("address bounced", ErrPermanentDelivery, nil)}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	f.register(env)
	env.ExecuteWorkflow(NotificationWorkflow, NotificationInput{
		NotificationID: "n-1", Channels: []string{ChannelEmail, ChannelSMS},
		Email: "a@example.com", Phone: "+15005550006", Subject: "s", Body: "b",
	})
	require.NoError(t, env.GetWorkflowError())
	var res NotificationResult
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Equal(t, ChannelSMS, res.Channel)
	require.Equal(t, "SM1", res.ProviderMessageID)
	require.Equal(t, "address bounced", res.Failures[ChannelEmail])
	require.Equal(t, 1, f.calls[ActivitySendEmail], "a permanent failure is not retried")
	require.Equal(t, "n-1:sms", f.lastSMS.IdempotencyKey)
}

func TestNotificationFailsWhenEveryChannelFails(t *testing.T) {
	f := &fakeServices{emailErr: temporal.NewNonRetryableApplicationError("address bounced", ErrPermanentDelivery, nil)}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	f.register(env)
	env.ExecuteWorkflow(NotificationWorkflow, NotificationInput{
		NotificationID: "n-2", Channels: []string{ChannelEmail, ChannelSMS}, Email: "a@example.com",
	})
	require.Error(t, env.GetWorkflowError())
	require.Zero(t, f.calls[ActivitySendSMS], "no phone number: SMS is skipped, not attempted")
}
