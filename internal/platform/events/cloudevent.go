// Package events publishes domain events to Kafka as CloudEvents 1.0 JSON
// (structured mode), keyed by the aggregate ID so all events of one order land
// on one partition, in order.
package events

import (
	"encoding/json"
	"time"
)

// Topics, one per owning service.
const (
	OrdersTopic        = "orders.events"
	InventoryTopic     = "inventory.events"
	NotificationsTopic = "notifications.events"
)

// CloudEvent is the CloudEvents 1.0 envelope in its JSON format.
type CloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Source          string          `json:"source"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	// TraceParent is the distributed tracing extension's attribute: the
	// W3C traceparent of the change that wrote the event.
	TraceParent string `json:"traceparent,omitempty"`
}

// New builds an event. The ID must be deterministic for the fact it reports
// (e.g. "order-42/completed") so a retried publish is recognisable as a
// duplicate by consumers: Kafka delivery is at least once.
func New(id, eventType, source, subject string, at time.Time, data any) (CloudEvent, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return CloudEvent{}, err
	}
	return CloudEvent{
		SpecVersion:     "1.0",
		ID:              id,
		Type:            eventType,
		Source:          source,
		Subject:         subject,
		Time:            at.UTC(),
		DataContentType: "application/json",
		Data:            raw,
	}, nil
}
