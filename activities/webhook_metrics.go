package activities

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Outcomes of an attempt to deliver an event to an integrator's endpoint.
const (
	webhookSucceeded = "succeeded" // a 2xx
	webhookFailed    = "failed"    // anything else: retried
	webhookRefused   = "refused"   // an address it may not reach: not retried
)

var (
	webhookAttempts = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "orderflow_webhook_attempts_total",
		Help: "Attempts to deliver an event to an integrator's endpoint, by outcome (succeeded, failed, refused).",
	}, []string{"outcome"})
	webhookEndpointsDisabled = promauto.NewCounter(prometheus.CounterOpts{
		Name: "orderflow_webhook_endpoints_disabled_total",
		Help: "Integrators' endpoints disabled for failing too long.",
	})
)

func init() {
	// Exported at 0 from the start, so a rate sees the first failure.
	for _, outcome := range []string{webhookSucceeded, webhookFailed, webhookRefused} {
		webhookAttempts.WithLabelValues(outcome)
	}
}
