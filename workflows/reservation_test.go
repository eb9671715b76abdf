package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

func testReservation() ReservationInput {
	return ReservationInput{OrderID: "o-1", Lines: []inventory.Line{{SKU: "SKU-1", Quantity: 2}}, TTL: time.Hour}
}

// runReservation runs a ReservationWorkflow with no parent; during(env) may
// schedule signals and queries with env.RegisterDelayedCallback.
func (s *workflowSuite) runReservation(f *fakeServices, in ReservationInput, during func(*testsuite.TestWorkflowEnvironment)) (ReservationState, error) {
	t := s.T()
	t.Helper()
	env := s.env
	f.register(env)
	if during != nil {
		during(env)
	}
	env.ExecuteWorkflow(ReservationWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	var st ReservationState
	if err := env.GetWorkflowError(); err != nil {
		return st, err
	}
	require.NoError(t, env.GetWorkflowResult(&st))
	return st, nil
}

func (s *ReservationWorkflowSuite) TestReservationConfirmCommitsOnceDespiteRedelivery() {
	t := s.T()
	f := &fakeServices{}
	var held ReservationState
	var start time.Time
	st, err := s.runReservation(f, testReservation(), func(env *testsuite.TestWorkflowEnvironment) {
		start = env.Now()
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(QueryStatus)
			require.NoError(t, err)
			require.NoError(t, v.Get(&held))
			env.SignalWorkflow(SignalConfirmReservation, nil)
			env.SignalWorkflow(SignalConfirmReservation, nil) // re-delivered
			env.SignalWorkflow(SignalReleaseReservation, ReleaseSignal{Reason: "too late"})
		}, time.Minute)
	})
	require.NoError(t, err)

	require.Equal(t, ReservationHeld, held.Status, "the query shows the held stock")
	require.Equal(t, []inventory.Allocation{{SKU: "SKU-1", WarehouseID: "w1", Quantity: 2}}, held.Allocations)
	require.WithinDuration(t, start.Add(time.Hour), held.ExpiresAt, time.Second, "held for the TTL")
	require.Equal(t, ReservationCommitted, st.Status)
	require.Equal(t, []string{"res-o-1"}, f.committedIDs, "committed once")
	require.Empty(t, f.releasedIDs, "the release after the confirm changed nothing")
}

func (s *ReservationWorkflowSuite) TestReservationReleaseSignalGivesStockBack() {
	t := s.T()
	f := &fakeServices{}
	st, err := s.runReservation(f, testReservation(), func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(SignalReleaseReservation, ReleaseSignal{Reason: "card declined"})
		}, time.Minute)
	})
	require.NoError(t, err)

	require.Equal(t, ReservationReleased, st.Status)
	require.Equal(t, "card declined", st.Reason)
	require.Equal(t, []activities.ReleaseReservationRequest{{ReservationID: "res-o-1", OrderID: "o-1", Reason: "card declined"}}, f.releases)
	require.Empty(t, f.committedIDs)
}

func (s *ReservationWorkflowSuite) TestReservationExpiresAfterItsTTL() {
	t := s.T()
	f := &fakeServices{}
	in := testReservation()
	in.TTL = 10 * time.Minute
	var start, releasedAt time.Time
	st, err := s.runReservation(f, in, func(env *testsuite.TestWorkflowEnvironment) {
		start = env.Now()
		env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
			if info.ActivityType.Name == "ReleaseReservation" {
				releasedAt = env.Now()
			}
		})
	})
	require.NoError(t, err)

	require.Equal(t, ReservationExpired, st.Status)
	require.WithinDuration(t, start.Add(in.TTL), st.ExpiresAt, time.Second)
	require.WithinDuration(t, st.ExpiresAt, releasedAt, time.Second, "released when the TTL ran out")
	require.Equal(t, []activities.ReleaseReservationRequest{{ReservationID: "res-o-1", OrderID: "o-1", Reason: "reservation expired", Expired: true}}, f.releases)
	require.Empty(t, f.committedIDs)
}

func (s *ReservationWorkflowSuite) TestReservationDefaultTTLIsFifteenMinutes() {
	t := s.T()
	f := &fakeServices{}
	in := testReservation()
	in.TTL = 0
	var start time.Time
	st, err := s.runReservation(f, in, func(env *testsuite.TestWorkflowEnvironment) {
		start = env.Now()
	})
	require.NoError(t, err)
	require.Equal(t, ReservationExpired, st.Status)
	require.WithinDuration(t, start.Add(15*time.Minute), st.ExpiresAt, time.Second)
}

func (s *ReservationWorkflowSuite) TestReservationOutOfStockIsRejectedWithNothingHeld() {
	t := s.T()
	f := &fakeServices{reserveErr: temporal.NewNonRetryableApplicationError("out of stock: SKU-1: 2 requested, 1 available", activities.ErrOutOfStock, nil)}
	st, err := s.runReservation(f, testReservation(), nil)
	require.NoError(t, err)

	require.Equal(t, ReservationRejected, st.Status)
	require.Equal(t, "out of stock: SKU-1: 2 requested, 1 available", st.Reason)
	require.Equal(t, 1, f.calls["ReserveStock"], "out of stock is not retried")
	require.Empty(t, f.releases)
	require.Empty(t, f.committedIDs)
}

func (s *ReservationWorkflowSuite) TestReservationThatCannotBeMadeReleasesWhateverWasHeld() {
	t := s.T()
	f := &fakeServices{reserveErr: errors.New("connection refused")}
	_, err := s.runReservation(f, testReservation(), nil)

	require.Error(t, err, "the database never answered")
	require.Greater(t, f.calls["ReserveStock"], 5, "retried for its whole budget")
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs, "an attempt may have reserved: released to be sure")
}

func (s *ReservationWorkflowSuite) TestReservationCancelledReleasesItsStock() {
	t := s.T()
	f := &fakeServices{}
	_, err := s.runReservation(f, testReservation(), func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	})

	require.True(t, temporal.IsCanceledError(err), "closes as cancelled: %v", err)
	require.Equal(t, []string{"res-o-1"}, f.releasedIDs)
	require.Empty(t, f.committedIDs)
}

// The order's reservation runs out while the gateway is slow to capture: the
// money was taken for stock that went back, so the order fails and the
// capture is refunded.
func (s *ReservationWorkflowSuite) TestOrderWorkflowReservationExpiredDuringCaptureRefunds() {
	t := s.T()
	f := &fakeServices{captureFails: 4} // 1+2+4+8 s of retries
	in := testOrder()
	in.ReservationTTL = 5 * time.Second
	st := s.runOrderInput(f, in)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, "The stock reservation expired before the payment completed.", st.FailureReason)
	require.Equal(t, "cap_1", st.CaptureID)
	require.Equal(t, []string{"cap_1"}, f.refundedCaptureIDs)
	require.Empty(t, f.committedIDs)
	require.Empty(t, f.voidedAuthIDs, "a captured authorization is refunded, not voided")
	require.Equal(t, []activities.ReleaseReservationRequest{{ReservationID: "res-o-1", OrderID: "o-1", Reason: "reservation expired", Expired: true}}, f.releases)
	require.Equal(t, StepFailed, stepStatuses(st)[StepConfirmReservation])
	require.Equal(t, StepCompleted, stepStatuses(st)[StepRefundPayment])
	require.Contains(t, f.lastEmail.Body, "refunded")
}

// The reservation runs out while the payment is being authorized: no money
// is taken for stock that went back.
func (s *ReservationWorkflowSuite) TestOrderWorkflowReservationExpiredBeforeCaptureVoids() {
	t := s.T()
	f := &fakeServices{authorizeFails: 3} // 1+2+4 s of retries
	in := testOrder()
	in.ReservationTTL = 5 * time.Second
	st := s.runOrderInput(f, in)

	require.Equal(t, orders.StatusFailed, st.Status)
	require.Equal(t, "The stock reservation expired before the payment completed.", st.FailureReason)
	require.Zero(t, f.calls["CapturePayment"])
	require.Equal(t, []string{"auth_1"}, f.voidedAuthIDs)
	require.Empty(t, f.refundedCaptureIDs)
	require.Equal(t, StepFailed, stepStatuses(st)[StepCapturePayment])
	require.Equal(t, StepCompleted, stepStatuses(st)[StepReleaseReservation])
	require.Contains(t, f.lastEmail.Body, "not been charged")
}
