package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
)

// fakeEndpoint answers the delivery activities: attempts fail with
// failures[i] until they run out, then succeed (or disable the endpoint).
type fakeEndpoint struct {
	failures  []error
	disable   bool // the first attempt past failures disables the endpoint
	attempts  int
	failed    []string
	started   []activities.StartWorkflowRequest
	noticesOf []string
}

func (f *fakeEndpoint) register(s *WebhookDeliveryWorkflowSuite) {
	env := s.env
	env.OnActivity(webhookActivities.DeliverEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.DeliverEventRequest) (activities.DeliverEventResult, error) {
		f.attempts++
		res := activities.DeliverEventResult{EndpointID: "ep-1"}
		if f.attempts <= len(f.failures) {
			return res, f.failures[f.attempts-1]
		}
		if f.disable {
			res.Stopped, res.Disabled = "the endpoint was disabled", true
		}
		return res, nil
	})
	env.OnActivity(webhookActivities.FailDelivery, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.DeliverEventRequest) error {
		f.failed = append(f.failed, req.DeliveryID)
		return nil
	})
	env.OnActivity(webhookActivities.EndpointDisabledNotices, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) ([]notifications.Input, error) {
		f.noticesOf = append(f.noticesOf, id)
		return []notifications.Input{{NotificationID: "n-admin-1"}, {NotificationID: "n-admin-2"}}, nil
	})
	env.OnActivity(temporalActivities.StartWorkflow, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.StartWorkflowRequest) error {
		f.started = append(f.started, req)
		return nil
	})
}

func (s *WebhookDeliveryWorkflowSuite) deliver(f *fakeEndpoint) (activities.DeliverEventResult, error) {
	f.register(s)
	s.env.ExecuteWorkflow(WebhookDeliveryWorkflow, WebhookDeliveryInput{DeliveryID: "d-1", FirstRetry: time.Second})
	s.Require().True(s.env.IsWorkflowCompleted())
	var res activities.DeliverEventResult
	err := s.env.GetWorkflowError()
	if err == nil {
		s.Require().NoError(s.env.GetWorkflowResult(&res))
	}
	return res, err
}

func (s *WebhookDeliveryWorkflowSuite) TestRetriesUntilTheEndpointTakesIt() {
	f := &fakeEndpoint{failures: []error{errors.New("HTTP 503"), errors.New("HTTP 503"), errors.New("HTTP 503")}}
	res, err := s.deliver(f)
	s.Require().NoError(err)
	s.Empty(res.Stopped)
	s.Equal(4, f.attempts)
	s.Empty(f.failed)
	s.Empty(f.started, "nobody is told of a delivery that went through")
}

func (s *WebhookDeliveryWorkflowSuite) TestARefusedAddressEndsTheDeliveryAtOnce() {
	refused := temporal.NewNonRetryableApplicationError("refused: 10.0.0.5 is a private address", activities.ErrWebhookRefused, nil)
	f := &fakeEndpoint{failures: []error{refused}}
	_, err := s.deliver(f)
	s.Require().Error(err)
	s.Contains(err.Error(), "private address")
	s.Equal(1, f.attempts)
	s.Equal([]string{"d-1"}, f.failed, "the delivery is marked failed")
}

func (s *WebhookDeliveryWorkflowSuite) TestRetriesThatRunOutMarkTheDeliveryFailed() {
	// The test environment caps retries at 10 attempts where the server
	// has no cap: the budget below is what ends them there.
	var failures []error
	for range 1000 {
		failures = append(failures, errors.New("HTTP 503"))
	}
	f := &fakeEndpoint{failures: failures}
	_, err := s.deliver(f)
	s.Require().Error(err)
	s.Equal([]string{"d-1"}, f.failed)
}

func (s *WebhookDeliveryWorkflowSuite) TestAttemptsLastThreeDaysWithoutACount() {
	opts := webhookAttempts(0)
	s.Equal(72*time.Hour, opts.ScheduleToCloseTimeout)
	s.Zero(opts.RetryPolicy.MaximumAttempts, "the budget is time, not a count")
	s.Equal(10*time.Second, opts.RetryPolicy.InitialInterval)
	s.Equal(time.Hour, opts.RetryPolicy.MaximumInterval)
	// Waits 10 s, 20 s, ... then an hour each: the attempts that fit in
	// two days of an endpoint being down.
	wait, elapsed, attempts := opts.RetryPolicy.InitialInterval, time.Duration(0), 1
	for elapsed+wait < 48*time.Hour {
		elapsed += wait
		attempts++
		wait = min(2*wait, opts.RetryPolicy.MaximumInterval)
	}
	s.Greater(attempts, 50)
	s.Equal(200*time.Millisecond, webhookAttempts(200*time.Millisecond).RetryPolicy.InitialInterval)
}

func (s *WebhookDeliveryWorkflowSuite) TestADisabledEndpointTellsEveryAdminOnce() {
	f := &fakeEndpoint{failures: []error{errors.New("HTTP 500")}, disable: true}
	res, err := s.deliver(f)
	s.Require().NoError(err)
	s.True(res.Disabled)
	s.Equal([]string{"ep-1"}, f.noticesOf)
	s.Require().Len(f.started, 2)
	s.Equal(notifications.WorkflowID("n-admin-1"), f.started[0].WorkflowID)
	s.Equal("NotificationWorkflow", f.started[0].WorkflowType)
	s.Equal(NotificationsTaskQueue, f.started[0].TaskQueue)
}
