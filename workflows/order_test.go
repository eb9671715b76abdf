package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/risk"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// fakeServices stands in for the activity workers: each method behaves like
// the real activity's contract and counts its calls.
type fakeServices struct {
	mu             sync.Mutex
	calls          map[string]int
	recorded       []activities.RecordOrderStateRequest
	authorizeErr   error
	authorizeFails int // the first authorizeFails calls fail with a retryable error
	captureFails   int // the first captureFails calls fail with a retryable error
	voidFails      int // the first voidFails calls fail with a retryable error
	releaseErr     error
	reserveErr     error
	emailErr       error
	lastEmail      activities.SendEmailRequest
	lastSMS        activities.SendSMSRequest
	smsSentAt      time.Time // the workflow clock when SendSMS ran
	releasedIDs    []string
	releases       []activities.ReleaseReservationRequest
	committedIDs   []string
	voidedAuthIDs  []string
	lastVoid       activities.VoidPaymentRequest
	// refundedCaptureIDs are the captures RefundPayment returned.
	refundedCaptureIDs []string
	// assessment is what AssessRisk answers (low by default), assessErr
	// its failure; declines are the orders RecordDecline counted.
	assessment risk.Assessment
	assessErr  error
	assessed   []activities.AssessRiskRequest
	declines   []activities.RecordDeclineRequest
	// planned are the shipments PlanShipments recorded, shipped the
	// ShipmentWorkflow children started.
	planned []orders.Shipment
	shipped []ShipmentInput
	// allocations, when set, are where ReserveStock takes the stock from
	// (by default all of the first line from warehouse w1).
	allocations []inventory.Allocation
}

func (f *fakeServices) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	return f.calls[name]
}

func (f *fakeServices) register(env *testsuite.TestWorkflowEnvironment) {
	f.calls = map[string]int{}
	// The signals the order and its reservation send each other by local
	// activity go through the test environment, as the server would take
	// them.
	env.OnActivity(temporalActivities.SignalWorkflow, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.SignalRequest) error {
		f.count("Signal:" + req.Signal)
		var payload any
		if len(req.Payload) > 0 {
			payload = req.Payload
		}
		err := env.SignalWorkflowByID(req.WorkflowID, req.Signal, payload)
		if err != nil && strings.Contains(err.Error(), "already completed") {
			return nil // as the activity drops a signal to a closed workflow
		}
		return err
	})
	env.OnActivity(riskActivities.AssessRisk, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.AssessRiskRequest) (risk.Assessment, error) {
		f.count("AssessRisk")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.assessed = append(f.assessed, req)
		if f.assessErr != nil {
			return risk.Assessment{}, f.assessErr
		}
		if f.assessment.Level == "" {
			return risk.Assessment{Level: risk.LevelLow, Reasons: []string{}}, nil
		}
		return f.assessment, nil
	})
	env.OnActivity(riskActivities.RecordDecline, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.RecordDeclineRequest) error {
		f.count("RecordDecline")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.declines = append(f.declines, req)
		return nil
	})
	env.OnActivity(orderActivities.RecordOrderState, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.RecordOrderStateRequest) error {
		f.count("RecordOrderState")
		f.mu.Lock()
		f.recorded = append(f.recorded, req)
		f.mu.Unlock()
		return nil
	})
	env.OnActivity(inventoryActivities.ReserveStock, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.ReserveStockRequest) (activities.Reservation, error) {
		f.count("ReserveStock")
		if f.reserveErr != nil {
			return activities.Reservation{}, f.reserveErr
		}
		allocations := f.allocations
		if allocations == nil {
			allocations = []inventory.Allocation{{SKU: req.Lines[0].SKU, WarehouseID: "w1", Quantity: req.Lines[0].Quantity}}
		}
		return activities.Reservation{ID: req.ReservationID, Status: "reserved", Allocations: allocations}, nil
	})
	env.OnActivity(inventoryActivities.GetReservation, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) (activities.Reservation, error) {
		f.count("GetReservation")
		return activities.Reservation{ID: id, Status: "committed", Allocations: f.allocations}, nil
	})
	env.OnActivity(inventoryActivities.CommitReservation, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) error {
		f.count("CommitReservation")
		f.mu.Lock()
		f.committedIDs = append(f.committedIDs, id)
		f.mu.Unlock()
		return nil
	})
	env.OnActivity(inventoryActivities.ReleaseReservation, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.ReleaseReservationRequest) error {
		f.count("ReleaseReservation")
		if f.releaseErr != nil {
			return f.releaseErr
		}
		f.mu.Lock()
		f.releasedIDs = append(f.releasedIDs, req.ReservationID)
		f.releases = append(f.releases, req)
		f.mu.Unlock()
		return nil
	})
	env.OnActivity(paymentActivities.AuthorizePayment, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.AuthorizePaymentRequest) (activities.PaymentResult, error) {
		if n := f.count("AuthorizePayment"); n <= f.authorizeFails {
			return activities.PaymentResult{}, errors.New("gateway returned 503")
		}
		if f.authorizeErr != nil {
			return activities.PaymentResult{}, f.authorizeErr
		}
		return activities.PaymentResult{ID: "auth_1"}, nil
	})
	env.OnActivity(paymentActivities.CapturePayment, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.CapturePaymentRequest) (activities.PaymentResult, error) {
		if n := f.count("CapturePayment"); n <= f.captureFails {
			return activities.PaymentResult{}, errors.New("gateway returned 500")
		}
		return activities.PaymentResult{ID: "cap_1"}, nil
	})
	env.OnActivity(paymentActivities.RefundPayment, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.RefundPaymentRequest) (activities.PaymentResult, error) {
		f.count("RefundPayment")
		f.mu.Lock()
		f.refundedCaptureIDs = append(f.refundedCaptureIDs, req.CaptureID)
		f.mu.Unlock()
		return activities.PaymentResult{ID: "re_1"}, nil
	})
	env.OnActivity(paymentActivities.VoidPayment, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.VoidPaymentRequest) error {
		n := f.count("VoidPayment")
		f.mu.Lock()
		defer f.mu.Unlock()
		f.lastVoid = req
		if n <= f.voidFails {
			return errors.New("gateway returned 503")
		}
		f.voidedAuthIDs = append(f.voidedAuthIDs, req.AuthorizationID)
		return nil
	})
	// The outcome's NotificationWorkflow, which the order starts by local
	// activity, runs in an environment of its own, as on the notifications
	// queue, from the order's clock.
	env.OnActivity(temporalActivities.StartWorkflow, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.StartWorkflowRequest) error {
		f.count("Start:" + req.WorkflowType)
		var msg notifications.Input
		if err := json.Unmarshal(req.Input, &msg); err != nil {
			return err
		}
		var suite testsuite.WorkflowTestSuite
		notifyEnv := suite.NewTestWorkflowEnvironment()
		notifyEnv.SetStartTime(env.Now())
		f.registerNotifications(notifyEnv)
		notifyEnv.ExecuteWorkflow(req.WorkflowType, msg)
		return notifyEnv.GetWorkflowError()
	})
	env.RegisterWorkflow(ReservationWorkflow)
	env.OnActivity(orderActivities.PlanShipments, mock.Anything, mock.Anything).Return(func(_ context.Context, list []orders.Shipment) error {
		f.count("PlanShipments")
		f.mu.Lock()
		f.planned = append(f.planned, list...)
		f.mu.Unlock()
		return nil
	})
	env.RegisterWorkflow(ShipmentWorkflow)
	env.OnWorkflow(ShipmentWorkflow, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in ShipmentInput) (orders.Shipment, error) {
		f.count("ShipmentWorkflow")
		f.mu.Lock()
		f.shipped = append(f.shipped, in)
		f.mu.Unlock()
		return in.Shipment, nil
	})
	// A repair still starts the notification as a child.
	f.registerNotifications(env)
}

// registerNotifications registers the notification activities on the
// environment that runs a NotificationWorkflow.
func (f *fakeServices) registerNotifications(env *testsuite.TestWorkflowEnvironment) {
	env.OnActivity(notificationActivities.SendEmail, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.SendEmailRequest) (activities.SendResult, error) {
		f.count("SendEmail")
		f.lastEmail = req
		if f.emailErr != nil {
			return activities.SendResult{}, f.emailErr
		}
		return activities.SendResult{ProviderMessageID: "email-1"}, nil
	})
	env.OnActivity(notificationActivities.SendSMS, mock.Anything, mock.Anything).Return(func(_ context.Context, req activities.SendSMSRequest) (activities.SendResult, error) {
		f.count("SendSMS")
		f.lastSMS, f.smsSentAt = req, env.Now()
		return activities.SendResult{ProviderMessageID: "SM1"}, nil
	})
	env.OnActivity(notificationActivities.RecordNotification, mock.Anything, mock.Anything).Return(nil)
	env.RegisterWorkflow(NotificationWorkflow)
}

func testOrder() orders.Input {
	return orders.Input{
		OrderID: "o-1", CustomerID: "c-1", Currency: "USD", Total: 5000, PaymentToken: "tok_visa",
		Items:    []orders.Item{{SKU: "SKU-1", Quantity: 2, UnitPrice: 2500}},
		Contact:  notifications.Contact{Email: "a@example.com", Phone: "+15005550006"},
		PlacedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func (s *workflowSuite) runOrder(f *fakeServices) orders.State {
	t := s.T()
	t.Helper()
	return s.runOrderInput(f, testOrder())
}

func (s *workflowSuite) runOrderInput(f *fakeServices, in orders.Input) orders.State {
	t := s.T()
	t.Helper()
	env := s.env
	f.register(env)
	env.ExecuteWorkflow(OrderWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var st orders.State
	require.NoError(t, env.GetWorkflowResult(&st))
	return st
}

func stepStatuses(st orders.State) map[string]string {
	out := map[string]string{}
	for _, s := range st.Steps {
		out[s.Name] = s.Status
	}
	return out
}

func stepErrors(st orders.State) map[string]string {
	out := map[string]string{}
	for _, s := range st.Steps {
		out[s.Name] = s.Error
	}
	return out
}

func (s *OrderWorkflowSuite) TestOrderWorkflowCompletes() {
	t := s.T()
	f := &fakeServices{}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Equal(t, map[string]string{
		StepAssessRisk: StepCompleted, StepReserveStock: StepCompleted, StepAuthorizePayment: StepCompleted,
		StepCapturePayment: StepCompleted, StepConfirmReservation: StepCompleted, StepNotifyCustomer: StepCompleted,
	}, stepStatuses(st))
	require.Equal(t, &risk.Assessment{Level: risk.LevelLow, Reasons: []string{}}, st.Risk)
	require.Equal(t, []string{"res-o-1"}, f.committedIDs)
	require.Empty(t, f.releasedIDs)
	require.Empty(t, f.voidedAuthIDs)
	require.Equal(t, "auth_1", st.AuthorizationID)
	require.Equal(t, "cap_1", st.CaptureID)

	// The read model saw every state in order, ending with the completed event.
	last := f.recorded[len(f.recorded)-1]
	require.Equal(t, "order.processing", f.recorded[0].Event)
	require.Equal(t, "order.completed", last.Event)
	require.Equal(t, orders.StatusCompleted, last.State.Status)
	require.Equal(t, StepCompleted, stepStatuses(last.State)[StepNotifyCustomer], "the final write includes the notification step")
	for i := 1; i < len(f.recorded); i++ {
		require.Greater(t, f.recorded[i].State.Version, f.recorded[i-1].State.Version)
	}
	// The customer was told on the first channel, with the order's own key.
	require.Equal(t, "a@example.com", f.lastEmail.To)
	require.Equal(t, "o-1-completed:email", f.lastEmail.IdempotencyKey)
	require.Zero(t, f.calls["SendSMS"])
	// Then it ships, from the one warehouse its stock came from.
	require.Equal(t, []orders.Shipment{{ID: "shp-o-1-w1", OrderID: "o-1", WarehouseID: "w1", Status: orders.ShipmentPending,
		Items: []orders.Line{{SKU: "SKU-1", Quantity: 2}}}}, f.planned)
	require.Len(t, f.shipped, 1)
	require.Equal(t, f.planned[0], f.shipped[0].Shipment)
	require.Empty(t, f.shipped[0].Order.PaymentToken, "the card token stays with the order")
}

// A completed order ships one parcel per warehouse its stock came from,
// each with that warehouse's lines.
func (s *OrderWorkflowSuite) TestOrderWorkflowShipsFromEachWarehouse() {
	t := s.T()
	f := &fakeServices{allocations: []inventory.Allocation{
		{SKU: "SKU-1", WarehouseID: "eu-west", Quantity: 1}, {SKU: "SKU-2", WarehouseID: "us-east", Quantity: 3},
		{SKU: "SKU-1", WarehouseID: "us-east", Quantity: 1},
	}}
	st := s.runOrder(f)
	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Equal(t, []orders.Shipment{
		{ID: "shp-o-1-eu-west", OrderID: "o-1", WarehouseID: "eu-west", Status: orders.ShipmentPending, Items: []orders.Line{{SKU: "SKU-1", Quantity: 1}}},
		{ID: "shp-o-1-us-east", OrderID: "o-1", WarehouseID: "us-east", Status: orders.ShipmentPending,
			Items: []orders.Line{{SKU: "SKU-2", Quantity: 3}, {SKU: "SKU-1", Quantity: 1}}},
	}, f.planned)
	require.Equal(t, 2, f.calls["ShipmentWorkflow"])
}

// The customer's preferences travel with the order: SMS first, so the
// confirmation goes by SMS and no email is sent.
func (s *OrderWorkflowSuite) TestOrderWorkflowNotifiesOnTheCustomersPreferredChannel() {
	t := s.T()
	f := &fakeServices{}
	in := testOrder()
	in.Contact.Channels = []string{notifications.ChannelSMS, notifications.ChannelEmail}
	st := s.runOrderInput(f, in)

	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Equal(t, "+15005550006", f.lastSMS.To)
	require.Zero(t, f.calls["SendEmail"])
}

// The customer's quiet hours travel with the order too, read in their time
// zone: an order completed at 23:30 in Paris texts them at 07:00, and the
// order itself does not wait for the message.
func (s *OrderWorkflowSuite) TestOrderWorkflowNotificationWaitsOutTheCustomersQuietHours() {
	t := s.T()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	f := &fakeServices{}
	in := testOrder()
	in.Contact.Channels = []string{notifications.ChannelSMS}
	in.Contact.TimeZone, in.Contact.QuietHours = "Europe/Paris", &notifications.QuietHours{Start: "23:00", End: "07:00"}
	env := s.env
	f.register(env)
	start := time.Date(2026, 3, 10, 23, 30, 0, 0, paris)
	env.SetStartTime(start)
	env.ExecuteWorkflow(OrderWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	var st orders.State
	require.NoError(t, env.GetWorkflowResult(&st))

	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Equal(t, 1, f.calls["SendSMS"])
	sent := f.smsSentAt.In(paris)
	require.Equal(t, time.Date(2026, 3, 11, 7, 0, 0, 0, paris), sent.Truncate(time.Minute), "sent when the quiet hours ended, not at %s", sent)
}

func (s *OrderWorkflowSuite) TestOrderWorkflowDeclinedPaymentReleasesStock() {
	t := s.T()
	f := &fakeServices{authorizeErr: temporal.NewNonRetryableApplicationError("card declined", activities.ErrPaymentDeclined, nil)}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, "Card declined.", st.FailureReason)
	require.Equal(t, 1, f.calls["AuthorizePayment"], "a decline is not retried")
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
	require.Empty(t, f.voidedAuthIDs, "nothing was authorized, nothing to void")
	require.Empty(t, f.planned, "a failed order ships nothing")
	require.Zero(t, f.calls["CapturePayment"])
	require.Zero(t, f.calls["CommitReservation"])
	require.Equal(t, StepFailed, stepStatuses(st)[StepAuthorizePayment])
	require.Equal(t, StepCompleted, stepStatuses(st)[StepReleaseReservation])
	require.Contains(t, f.lastEmail.Body, "Card declined.")
}

func (s *OrderWorkflowSuite) TestOrderWorkflowRetriesTransientCaptureFailures() {
	t := s.T()
	f := &fakeServices{captureFails: 2}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusCompleted, st.Status)
	require.Equal(t, 3, f.calls["CapturePayment"], "two failures, then success")
	require.Empty(t, f.releasedIDs)
	require.Empty(t, f.voidedAuthIDs)
}

func (s *OrderWorkflowSuite) TestOrderWorkflowOutOfStockCompensatesNothing() {
	t := s.T()
	f := &fakeServices{reserveErr: temporal.NewNonRetryableApplicationError("SKU-1: 2 requested, 1 available", activities.ErrOutOfStock, nil)}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, "SKU-1: 2 requested, 1 available.", st.FailureReason)
	require.Equal(t, 1, f.calls["ReserveStock"])
	require.Zero(t, f.calls["AuthorizePayment"])
	require.Empty(t, f.releasedIDs)
}

func (s *OrderWorkflowSuite) TestOrderWorkflowPaymentFailureAfterAuthorizeVoidsAndReleases() {
	t := s.T()
	f := &fakeServices{captureFails: 1 << 30} // the gateway never captures
	env := s.env
	f.register(env)
	env.ExecuteWorkflow(OrderWorkflow, testOrder())
	require.NoError(t, env.GetWorkflowError())
	var st orders.State
	require.NoError(t, env.GetWorkflowResult(&st))

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
	// Compensations run in reverse order: void before release.
	var order []string
	for _, s := range st.Steps {
		if s.Name == StepVoidPayment || s.Name == StepReleaseReservation {
			order = append(order, s.Name)
		}
	}
	require.Equal(t, []string{StepVoidPayment, StepReleaseReservation}, order)
}

func (s *OrderWorkflowSuite) TestOrderWorkflowCancelledWhileAuthorizingCompensates() {
	t := s.T()
	f := &fakeServices{}
	env := s.env
	f.register(env)
	// The order is cancelled while the gateway call is in flight: the call
	// is not interrupted (callGateway), so the saga learns of the
	// authorization and voids it, and makes no capture.
	env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		if info.ActivityType.Name == "AuthorizePayment" {
			env.CancelWorkflow()
		}
	})
	env.ExecuteWorkflow(OrderWorkflow, testOrder())

	require.True(t, env.IsWorkflowCompleted())
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "closes as cancelled: %v", env.GetWorkflowError())
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs, "stock released despite the cancellation")
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs, "the authorization made during the cancellation is voided")
	require.Zero(t, f.calls["CapturePayment"])
	last := f.recorded[len(f.recorded)-1]
	require.Equal(t, orders.StatusCancelled, last.State.Status)
	require.Equal(t, "order.cancelled", last.Event)
	require.Contains(t, f.lastEmail.Body, "cancelled")
}

func (s *OrderWorkflowSuite) TestOrderWorkflowVoidsAnAuthorizationWhoseOutcomeIsUnknown() {
	t := s.T()
	// The gateway never answers the authorization: it may have authorized
	// all the same, so the void looks the order's authorizations up.
	f := &fakeServices{authorizeErr: errors.New("gateway returned 503")}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, unavailableReason, st.FailureReason, "no technical detail for the customer")
	require.Equal(t, StepFailed, stepStatuses(st)[StepAuthorizePayment])
	require.Equal(t, 8, f.calls["AuthorizePayment"], "the retry budget")
	require.Equal(t, 1, f.calls["VoidPayment"])
	require.Empty(t, f.lastVoid.AuthorizationID)
	require.Equal(t, "o-1", f.lastVoid.OrderID, "the lookup is by order, not by authorizing again")
	require.Nil(t, f.lastVoid.Authorize)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
}

// A card that always errors (tok_error): the gateway answers every attempt
// with its own error, and the order fails once the retry budget is spent.
// The void still looks the authorization up (an earlier attempt may have
// authorized, its answer lost), finds none, and the order ends, instead of
// compensating for ever.
func (s *OrderWorkflowSuite) TestOrderWorkflowGatewayErrorsEndTheOrder() {
	t := s.T()
	f := &fakeServices{authorizeErr: temporal.NewApplicationError("payment gateway failed (500)", activities.ErrPaymentGatewayFailed)}
	st := s.runOrder(f)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, 8, f.calls["AuthorizePayment"])
	require.Equal(t, 1, f.calls["VoidPayment"], "one lookup, bounded")
	require.Equal(t, "o-1", f.lastVoid.OrderID)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
	require.Equal(t, "Sorry, your order o-1 could not be completed. "+unavailableReason+" You have not been charged.", f.lastEmail.Body)
}

// A void that fails for its whole budget leaves the order to an operator:
// status needs_attention with what is undone, its event, and a wait for the
// retry-compensation signal, after which it ends as it would have.
func (s *OrderWorkflowSuite) TestOrderWorkflowNeedsAttentionWhenAVoidFailsForGood() {
	t := s.T()
	f := &fakeServices{captureFails: 1 << 30, voidFails: 1 << 30}
	env := s.env
	f.register(env)
	var upserts []orders.Status
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		v, _ := sa.GetKeyword(orderStatusKey)
		upserts = append(upserts, orders.Status(v))
	}).Return(nil)
	var attention orders.State
	env.RegisterDelayedCallback(func() {
		f.mu.Lock()
		for _, r := range f.recorded {
			if r.Event == orders.StatusNeedsAttention.Event() {
				attention = r.State
			}
		}
		f.voidFails = 0 // the operator fixed the gateway
		f.mu.Unlock()
		require.Empty(t, f.lastEmail.To, "the customer is told once the money is settled")
		env.SignalWorkflow(SignalRetryCompensation, nil)
	}, 48*time.Hour)
	env.ExecuteWorkflow(OrderWorkflow, testOrder())
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var st orders.State
	require.NoError(t, env.GetWorkflowResult(&st))

	require.Equal(t, orders.StatusNeedsAttention, attention.Status)
	require.Contains(t, attention.Attention, "void_payment failed: gateway returned 503")
	require.Contains(t, attention.Attention, SignalRetryCompensation)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs, "the release ran although the void failed")
	require.Equal(t, orders.StatusFailed, st.Status)
	require.Empty(t, st.Attention)
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs, "voided once, after the signal")
	require.Contains(t, upserts, orders.StatusNeedsAttention)
	require.Equal(t, orders.StatusFailed, upserts[len(upserts)-1])
	require.Equal(t, "a@example.com", f.lastEmail.To)
}

// OrderStatus follows every status: after an approval it goes back to
// processing, then to completed.
func (s *OrderWorkflowSuite) TestOrderStatusSearchAttributeFollowsTheStatus() {
	t := s.T()
	f := &fakeServices{}
	env := s.env
	f.register(env)
	require.NoError(t, env.SetTypedSearchAttributesOnStart(OrderSearchAttributes(approvalOrder(), orders.StatusProcessing)))
	var upserts []orders.Status
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		v, _ := args.Get(0).(temporal.SearchAttributes).GetKeyword(orderStatusKey)
		upserts = append(upserts, orders.Status(v))
	}).Return(nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalApprove, Decision{By: "admin:1"}) }, time.Minute)
	env.ExecuteWorkflow(OrderWorkflow, approvalOrder())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, []orders.Status{orders.StatusAwaitingApproval, orders.StatusProcessing, orders.StatusCompleted}, upserts)
}
