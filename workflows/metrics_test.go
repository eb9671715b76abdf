package workflows

import (
	"context"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/temporal"

	"github.com/orderflow/orderflow/activities"
)

// recordedMetrics gives the test's next environment a metrics handler
// whose readings the test can take.
func (s *workflowSuite) recordedMetrics() *sdkmetric.ManualReader {
	reader := sdkmetric.NewManualReader()
	s.SetMetricsHandler(opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test"),
	}))
	s.env = s.NewTestWorkflowEnvironment()
	s.SetMetricsHandler(nil) // the suite's other tests record nothing
	return reader
}

// count is what the metric name recorded with labels: a counter's sum, a
// timer's number of records.
func (s *workflowSuite) count(reader *sdkmetric.ManualReader, name string, labels map[string]string) int64 {
	var rm metricdata.ResourceMetrics
	require.NoError(s.T(), reader.Collect(context.Background(), &rm))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range data.DataPoints {
					if hasLabels(p.Attributes, labels) {
						n += p.Value
					}
				}
			case metricdata.Histogram[float64]:
				for _, p := range data.DataPoints {
					if hasLabels(p.Attributes, labels) {
						n += int64(p.Count)
					}
				}
			}
		}
	}
	return n
}

func hasLabels(set attribute.Set, labels map[string]string) bool {
	for k, v := range labels {
		if got, ok := set.Value(attribute.Key(k)); !ok || got.AsString() != v {
			return false
		}
	}
	return true
}

func (s *OrderWorkflowSuite) TestACompletedOrderIsCountedWithItsSteps() {
	reader := s.recordedMetrics()
	st := s.runOrder(&fakeServices{})
	s.Require().Equal("completed", string(st.Status))

	s.Equal(int64(1), s.count(reader, ordersMetric, map[string]string{"outcome": "completed", "failure_class": "none"}))
	s.Equal(int64(1), s.count(reader, orderDurationMetric, map[string]string{"outcome": "completed"}))
	for _, step := range []string{StepAssessRisk, StepReserveStock, StepAuthorizePayment, StepCapturePayment, StepConfirmReservation, StepNotifyCustomer} {
		s.Equal(int64(1), s.count(reader, stepDurationMetric, map[string]string{"step": step, "outcome": StepCompleted}), step)
	}
	s.Zero(s.count(reader, stepFailuresMetric, nil))
	s.Zero(s.count(reader, compensationsMetric, nil))
	s.Equal(int64(1), s.count(reader, reservationsMetric, map[string]string{"outcome": ReservationCommitted}))
}

func (s *OrderWorkflowSuite) TestADeclinedOrderCountsItsFailureAndCompensation() {
	reader := s.recordedMetrics()
	f := &fakeServices{authorizeErr: temporal.NewNonRetryableApplicationError("card declined", activities.ErrPaymentDeclined, nil)}
	s.runOrder(f)

	s.Equal(int64(1), s.count(reader, ordersMetric, map[string]string{"outcome": "failed", "failure_class": "payment_declined"}))
	s.Equal(int64(1), s.count(reader, stepFailuresMetric, map[string]string{"step": StepAuthorizePayment}))
	s.Equal(int64(1), s.count(reader, compensationsMetric, map[string]string{"kind": StepReleaseReservation, "outcome": "succeeded"}))
	s.Zero(s.count(reader, compensationsMetric, map[string]string{"outcome": "failed"}))
}

// A void that spends its retries is a compensation failed for good, which
// an alert watches, even though the operator's retry settles it later.
func (s *OrderWorkflowSuite) TestAVoidThatFailsForGoodIsCounted() {
	reader := s.recordedMetrics()
	f := &fakeServices{captureFails: 1 << 30, voidFails: 1 << 30}
	s.env.RegisterDelayedCallback(func() {
		f.mu.Lock()
		f.voidFails = 0
		f.mu.Unlock()
		s.env.SignalWorkflow(SignalRetryCompensation, nil)
	}, 48*time.Hour)
	s.runOrder(f)

	s.Equal(int64(1), s.count(reader, compensationsMetric, map[string]string{"kind": StepVoidPayment, "outcome": "failed"}))
	s.Equal(int64(1), s.count(reader, compensationsMetric, map[string]string{"kind": StepVoidPayment, "outcome": "succeeded"}))
	s.Equal(int64(1), s.count(reader, ordersMetric, map[string]string{"outcome": "failed"}))
}
