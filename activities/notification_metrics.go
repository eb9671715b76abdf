package activities

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// deliveries counts each attempt at a delivery by its outcome: sent (the
// provider accepted it, or had already), refused (a permanent refusal:
// invalid number, unsubscribed), failed (transient: retried), or
// breaker_open (not attempted). Attempts per message are its rate over
// orderflow_notifications_total's.
var deliveries = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "orderflow_notification_deliveries_total",
	Help: "Delivery attempts by channel, provider and outcome (sent, refused, failed, breaker_open).",
}, []string{"channel", "provider", "outcome"})

func (r route) count(outcome string) {
	deliveries.WithLabelValues(r.channel, r.provider, outcome).Inc()
}
