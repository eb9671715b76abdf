package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// fakeChannels stands in for the notifications worker: each send activity
// fails with the next error queued for it, then succeeds; every call and
// every recorded state is kept.
type fakeChannels struct {
	env *testsuite.TestWorkflowEnvironment

	mu      sync.Mutex
	fail    map[string][]error // by activity: the errors of its next calls
	always  map[string]error   // by activity: the error of every call
	calls   map[string][]time.Time
	keys    map[string]string // by activity: the last idempotency key
	records []notifications.State
}

func (s *workflowSuite) newNotificationEnv() (*testsuite.TestWorkflowEnvironment, *fakeChannels) {
	t := s.T()
	t.Helper()
	env := s.env
	f := &fakeChannels{env: env, fail: map[string][]error{}, always: map[string]error{},
		calls: map[string][]time.Time{}, keys: map[string]string{}}
	// Each send activity behaves the same: it fails as told, or succeeds.
	send := func(name string, d activities.Delivery) (activities.SendResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls[name] = append(f.calls[name], env.Now())
		f.keys[name] = d.IdempotencyKey
		if err := f.always[name]; err != nil {
			return activities.SendResult{}, err
		}
		if queued := f.fail[name]; len(queued) > 0 {
			f.fail[name] = queued[1:]
			return activities.SendResult{}, queued[0]
		}
		return activities.SendResult{Provider: "fake", ProviderMessageID: name + "-1"}, nil
	}
	fakeSend(env, notificationActivities.SendEmail, "SendEmail", func(r activities.SendEmailRequest) activities.Delivery { return r.Delivery }, send)
	fakeSend(env, notificationActivities.SendSMS, "SendSMS", func(r activities.SendSMSRequest) activities.Delivery { return r.Delivery }, send)
	fakeSend(env, notificationActivities.SendPush, "SendPush", func(r activities.SendPushRequest) activities.Delivery { return r.Delivery }, send)
	fakeSend(env, notificationActivities.SendWebhook, "SendWebhook", func(r activities.SendWebhookRequest) activities.Delivery { return r.Delivery }, send)
	env.OnActivity(notificationActivities.RecordNotification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req activities.RecordNotificationRequest) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.records = append(f.records, req.State)
			return nil
		})
	return env, f
}

// fakeSend mocks one send activity, by reference, with send: the fakes of
// every channel behave alike, on the request's Delivery.
func fakeSend[R any](env *testsuite.TestWorkflowEnvironment, activity func(context.Context, R) (activities.SendResult, error), name string,
	delivery func(R) activities.Delivery, send func(string, activities.Delivery) (activities.SendResult, error)) {
	env.OnActivity(activity, mock.Anything, mock.Anything).Return(func(_ context.Context, req R) (activities.SendResult, error) {
		return send(name, delivery(req))
	})
}

func (f *fakeChannels) statuses() []notifications.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []notifications.Status
	for _, r := range f.records {
		out = append(out, r.Status)
	}
	return out
}

var (
	errTwilio503 = temporal.NewApplicationError("twilio: transient error 503: unavailable", activities.ErrTransientDelivery)
	errInvalidTo = temporal.NewNonRetryableApplicationError("twilio: permanent error 400 (code 21211): invalid 'To'", activities.ErrPermanentDelivery, nil)
	errBounced   = temporal.NewNonRetryableApplicationError("sendgrid: permanent error 400: address bounced", activities.ErrPermanentDelivery, nil)
)

func smsThenEmail(id string) notifications.Input {
	return notifications.Input{
		NotificationID: id, OrderID: "o-1", Kind: "order.completed", Channels: []string{notifications.ChannelSMS, notifications.ChannelEmail},
		Phone: "+15005550006", Email: "a@example.com", Subject: "Order o-1 confirmed", Body: "Thank you!",
	}
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) notifications.State {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var st notifications.State
	require.NoError(t, env.GetWorkflowResult(&st))
	return st
}

func gaps(times []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(times); i++ {
		out = append(out, times[i].Sub(times[i-1]))
	}
	return out
}

func (s *NotificationWorkflowSuite) TestNotificationRetriesTransientFailuresWithBackoff() {
	t := s.T()
	env, f := s.newNotificationEnv()
	f.fail["SendSMS"] = []error{errTwilio503, errTwilio503, errTwilio503}
	env.ExecuteWorkflow(NotificationWorkflow, smsThenEmail("n-1"))

	st := result(t, env)
	assert.Equal(t, notifications.StatusSent, st.Status)
	assert.Equal(t, notifications.ChannelSMS, st.Channel, "transient failures are retried on the same channel")
	assert.Equal(t, "SendSMS-1", st.ProviderMessageID)
	assert.Equal(t, []time.Duration{time.Second, time.Second, 2 * time.Second}, gaps(f.calls["SendSMS"]),
		"the first try, then the regular activity's exponential backoff")
	assert.Empty(t, f.calls["SendEmail"])
	assert.Equal(t, "n-1:sms", f.keys["SendSMS"])
	assert.Equal(t, []notifications.Status{notifications.StatusPending, notifications.StatusSent}, f.statuses())
}

func (s *NotificationWorkflowSuite) TestNotificationWaitsAsTheProviderOrItsBreakerSays() {
	t := s.T()
	env, f := s.newNotificationEnv()
	retryAfter := temporal.NewApplicationErrorWithOptions("twilio: transient error 429", activities.ErrTransientDelivery,
		temporal.ApplicationErrorOptions{NextRetryDelay: 30 * time.Second})
	breakerOpen := temporal.NewApplicationErrorWithOptions("circuit breaker twilio is open", activities.ErrCircuitOpen,
		temporal.ApplicationErrorOptions{NextRetryDelay: 45 * time.Second})
	f.fail["SendSMS"] = []error{retryAfter}
	for range 10 {
		f.fail["SendSMS"] = append(f.fail["SendSMS"], breakerOpen)
	}
	env.ExecuteWorkflow(NotificationWorkflow, smsThenEmail("n-1"))

	st := result(t, env)
	assert.Equal(t, notifications.ChannelSMS, st.Channel, "ten attempts waiting on the breaker did not exhaust the SMS budget")
	want := []time.Duration{30 * time.Second}
	for range 10 {
		want = append(want, 45*time.Second)
	}
	assert.Equal(t, want, gaps(f.calls["SendSMS"]))
}

func (s *NotificationWorkflowSuite) TestNotificationFallsBackToNextChannelOnPermanentFailure() {
	t := s.T()
	env, f := s.newNotificationEnv()
	f.fail["SendSMS"] = []error{errInvalidTo}
	env.ExecuteWorkflow(NotificationWorkflow, smsThenEmail("n-1"))

	st := result(t, env)
	assert.Equal(t, notifications.ChannelEmail, st.Channel)
	assert.Equal(t, "SendEmail-1", st.ProviderMessageID)
	assert.Len(t, f.calls["SendSMS"], 1, "a permanent failure is not retried")
	assert.Equal(t, "twilio: permanent error 400 (code 21211): invalid 'To'", st.Failures[notifications.ChannelSMS])
	assert.Equal(t, "n-1:email", f.keys["SendEmail"])
}

func (s *NotificationWorkflowSuite) TestNotificationFallsBackWhenAChannelExhaustsItsBudget() {
	t := s.T()
	env, f := s.newNotificationEnv()
	f.always["SendSMS"] = errTwilio503
	start := env.Now()
	env.ExecuteWorkflow(NotificationWorkflow, smsThenEmail("n-1"))

	st := result(t, env)
	assert.Equal(t, notifications.ChannelEmail, st.Channel)
	assert.Equal(t, "retry budget exhausted: twilio: transient error 503: unavailable", st.Failures[notifications.ChannelSMS])
	sms := f.calls["SendSMS"]
	budget := channelBudgets[notifications.ChannelSMS]
	lastTry := sms[len(sms)-1].Sub(start)
	assert.LessOrEqual(t, lastTry, budget.giveUpAfter)
	assert.Greater(t, lastTry, budget.giveUpAfter-budget.maxInterval, "time, not a count of attempts, ended the retries")
	assert.Equal(t, budget.maxInterval, gaps(sms)[len(sms)-2], "the backoff stops growing at the maximum interval")
}

func (s *NotificationWorkflowSuite) TestNotificationSkipsChannelsWithoutAnAddress() {
	t := s.T()
	env, f := s.newNotificationEnv()
	in := smsThenEmail("n-1")
	in.Phone = ""
	in.Channels = []string{notifications.ChannelSMS, "carrier-pigeon", notifications.ChannelEmail}
	env.ExecuteWorkflow(NotificationWorkflow, in)

	st := result(t, env)
	assert.Equal(t, notifications.ChannelEmail, st.Channel)
	assert.Empty(t, f.calls["SendSMS"])
	assert.Equal(t, map[string]string{notifications.ChannelSMS: "no address for this channel", "carrier-pigeon": "unknown channel"}, st.Failures)
}

func (s *NotificationWorkflowSuite) TestNotificationPushAndWebhookChannels() {
	t := s.T()
	env, f := s.newNotificationEnv()
	f.fail["SendPush"] = []error{temporal.NewNonRetryableApplicationError("push: 410 unregistered", activities.ErrPermanentDelivery, nil)}
	env.ExecuteWorkflow(NotificationWorkflow, notifications.Input{
		NotificationID: "n-1", Kind: "order.completed", Channels: []string{notifications.ChannelPush, notifications.ChannelWebhook},
		DeviceToken: "device-1", WebhookURL: "https://example.com/hooks/orders", Subject: "s", Body: "b",
	})

	st := result(t, env)
	assert.Equal(t, notifications.ChannelWebhook, st.Channel)
	assert.Equal(t, "n-1:webhook", f.keys["SendWebhook"])
}

func (s *NotificationWorkflowSuite) TestQuietHoursHoldSMSUntilMorning() {
	t := s.T()
	env, f := s.newNotificationEnv()
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	env.SetStartTime(time.Date(2026, 3, 6, 23, 30, 0, 0, newYork))
	in := smsThenEmail("n-1")
	in.TimeZone, in.QuietHours = "America/New_York", &notifications.QuietHours{Start: "22:00", End: "07:00"}
	env.ExecuteWorkflow(NotificationWorkflow, in)

	st := result(t, env)
	morning := time.Date(2026, 3, 7, 7, 0, 0, 0, newYork)
	require.Len(t, f.calls["SendSMS"], 1)
	assert.True(t, f.calls["SendSMS"][0].Equal(morning), "sent at %s", f.calls["SendSMS"][0].In(newYork))
	assert.Equal(t, notifications.ChannelSMS, st.Channel)
	assert.Equal(t, []notifications.Status{notifications.StatusPending, notifications.StatusScheduled, notifications.StatusPending, notifications.StatusSent}, f.statuses())
	require.NotNil(t, f.records[1].ScheduledFor)
	assert.True(t, f.records[1].ScheduledFor.Equal(morning))
	assert.Nil(t, st.ScheduledFor)
}

func (s *NotificationWorkflowSuite) TestQuietHoursDoNotHoldUrgentMessagesOrEmail() {
	night := time.Date(2026, 3, 6, 23, 30, 0, 0, time.UTC)
	quiet := &notifications.QuietHours{Start: "22:00", End: "07:00"}
	for name, in := range map[string]notifications.Input{
		"urgent SMS": {NotificationID: "n-1", Urgent: true, Channels: []string{notifications.ChannelSMS}, Phone: "+15005550006", QuietHours: quiet, Body: "b"},
		"email":      {NotificationID: "n-2", Channels: []string{notifications.ChannelEmail}, Email: "a@example.com", QuietHours: quiet, Body: "b"},
		"bad zone":   {NotificationID: "n-3", Channels: []string{notifications.ChannelSMS}, Phone: "+15005550006", QuietHours: quiet, TimeZone: "Mars/Olympus", Body: "b"},
	} {
		s.Run(name, func() {
			t := s.T()
			env, f := s.newNotificationEnv()
			env.SetStartTime(night)
			env.ExecuteWorkflow(NotificationWorkflow, in)
			result(t, env)
			for _, calls := range f.calls {
				assert.True(t, calls[0].Equal(night), "sent at once, not at %s", calls[0])
			}
		})
	}
}

func (s *NotificationWorkflowSuite) TestFailedNotificationWaitsForAManualRetry() {
	t := s.T()
	env, f := s.newNotificationEnv()
	f.fail["SendSMS"] = []error{errInvalidTo}
	f.fail["SendEmail"] = []error{errBounced}
	var whileFailed notifications.State
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&whileFailed))
		env.SignalWorkflow(SignalRetry, nil) // the address was fixed meanwhile
	}, 48*time.Hour)
	env.ExecuteWorkflow(NotificationWorkflow, smsThenEmail("n-1"))

	assert.Equal(t, notifications.StatusFailed, whileFailed.Status, "failed is visible while the workflow waits")
	assert.Equal(t, "sendgrid: permanent error 400: address bounced", whileFailed.Failures[notifications.ChannelEmail])
	st := result(t, env)
	assert.Equal(t, notifications.StatusSent, st.Status)
	assert.Equal(t, 2, st.Round)
	assert.Equal(t, notifications.ChannelSMS, st.Channel)
	assert.Empty(t, st.Failures, "failures are those of the last round")
	assert.Len(t, f.calls["SendSMS"], 2)
	assert.Equal(t, []notifications.Status{notifications.StatusPending, notifications.StatusFailed, notifications.StatusPending, notifications.StatusSent}, f.statuses())
}

func (s *NotificationWorkflowSuite) TestFailedNotificationGivesUpAfterTheRetryWindow() {
	t := s.T()
	env, f := s.newNotificationEnv()
	f.always["SendSMS"] = errInvalidTo
	f.always["SendEmail"] = errBounced
	// A retry asked for while the channels were still being tried is not
	// one for the failure that follows.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalRetry, nil) }, 0)
	env.ExecuteWorkflow(NotificationWorkflow, smsThenEmail("n-1"))

	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "every channel failed")
	assert.Len(t, f.calls["SendSMS"], 1, "one round: the early retry signal was dropped")
	assert.Equal(t, []notifications.Status{notifications.StatusPending, notifications.StatusFailed}, f.statuses())
	assert.GreaterOrEqual(t, env.Now().Sub(f.calls["SendSMS"][0]), RetryWindow)
}

func (s *NotificationWorkflowSuite) TestQuietHoursEnd() {
	t := s.T()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 3, day, hour, minute, 0, 0, paris) }
	night := notifications.QuietHours{Start: "22:00", End: "07:00"}
	lunch := notifications.QuietHours{Start: "12:00", End: "14:00"}
	tests := []struct {
		name string
		q    notifications.QuietHours
		now  time.Time
		want time.Time
	}{
		{"evening, before", night, at(6, 21, 59), time.Time{}},
		{"evening, inside", night, at(6, 22, 0), at(7, 7, 0)},
		{"after midnight", night, at(7, 3, 0), at(7, 7, 0)},
		{"morning, over", night, at(7, 7, 0), time.Time{}},
		{"same-day window", lunch, at(6, 13, 0), at(6, 14, 0)},
		{"outside same-day window", lunch, at(6, 15, 0), time.Time{}},
		{"empty window", notifications.QuietHours{Start: "07:00", End: "07:00"}, at(6, 7, 0), time.Time{}},
		// Clocks go forward on 29 March 2026 in Paris: the night is an hour shorter.
		{"across a DST change", night, at(28, 23, 0), at(29, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := quietHoursEnd(tt.q, tt.now.UTC(), "Europe/Paris")
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
		})
	}
	assert.Equal(t, 7*time.Hour, at(29, 7, 0).Sub(at(28, 23, 0)), "the DST case does cross the change")

	_, err = quietHoursEnd(notifications.QuietHours{Start: "10pm", End: "07:00"}, at(6, 23, 0), "Europe/Paris")
	assert.Error(t, err)
	_, err = quietHoursEnd(night, at(6, 23, 0), "Mars/Olympus")
	assert.Error(t, err)
	got, err := quietHoursEnd(night, time.Date(2026, 3, 6, 23, 0, 0, 0, time.UTC), "")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 7, 7, 0, 0, 0, time.UTC), got, `"" is UTC`)
}

func (s *NotificationWorkflowSuite) TestChannelFailureSaysWhyTheChannelStopped() {
	t := s.T()
	assert.Equal(t, "sendgrid: permanent error 400: address bounced", channelFailure(errBounced))
	assert.Equal(t, "address bounced", channelFailure(temporal.NewApplicationError("address bounced", activities.ErrPermanentDelivery)))
	assert.Equal(t, "retry budget exhausted: twilio: transient error 503: unavailable", channelFailure(errTwilio503))
	assert.Equal(t, "retry budget exhausted: timed out (ScheduleToClose)",
		channelFailure(temporal.NewTimeoutError(enums.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, errors.New("x"))))
}
