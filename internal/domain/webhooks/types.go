// Package webhooks keeps the endpoints integrators subscribe to the
// platform's events, and the log of every delivery to them. Events come from
// the services' Kafka topics; each delivery is signed the Standard Webhooks
// way (internal/platform/webhooksign) and retried by a Temporal workflow.
package webhooks

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/domain/inventory"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// Errors of the store.
var (
	ErrEndpointNotFound = errors.New("webhook endpoint not found")
	ErrDeliveryNotFound = errors.New("webhook delivery not found")
	// ErrTooManyEndpoints: MaxEndpoints exist already.
	ErrTooManyEndpoints = fmt.Errorf("at most %d webhook endpoints", MaxEndpoints)
)

// MaxEndpoints bounds the fan-out of one event.
const MaxEndpoints = 50

// RotationOverlap is how long the previous secret keeps signing after a
// rotation: time for the integrator to deploy the new one.
const RotationOverlap = 24 * time.Hour

// Endpoint is one integrator's URL and the events it wants. Its secrets
// never leave the store in JSON: the API shows a secret once, when it is
// made.
type Endpoint struct {
	ID             string     `json:"id"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	EventTypes     []string   `json:"event_types"`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	// RotationEndsAt: until then the previous secret signs too.
	RotationEndsAt *time.Time `json:"rotation_ends_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`

	// The secrets, opened by the store where they are used (signing, and
	// the answers that show a new one); sealed in the table.
	Secret                       string `json:"-"`
	PreviousSecret               string `json:"-"`
	sealedSecret, sealedPrevious string
}

// Secrets are the secrets that sign a message sent at now: the current one,
// and the previous one during a rotation.
func (e Endpoint) Secrets(now time.Time) []string {
	secrets := []string{e.Secret}
	if e.PreviousSecret != "" && e.RotationEndsAt != nil && now.Before(*e.RotationEndsAt) {
		secrets = append(secrets, e.PreviousSecret)
	}
	return secrets
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one event sent to one endpoint, with all its attempts.
type Delivery struct {
	ID           string    `json:"id"`
	EndpointID   string    `json:"endpoint_id"`
	EventID      string    `json:"event_id"`
	EventType    string    `json:"event_type"`
	Status       string    `json:"status"`
	Attempts     int       `json:"attempts"`
	Redeliveries int       `json:"redeliveries"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// Payload is the request body: the CloudEvent as it is on Kafka.
	Payload []byte `json:"-"`
}

// Attempt is one request of a delivery, as the log shows it.
type Attempt struct {
	Attempt        int       `json:"attempt"`
	StartedAt      time.Time `json:"started_at"`
	DurationMS     int       `json:"duration_ms"`
	ResponseStatus int       `json:"response_status"`
	ResponseBody   string    `json:"response_body"`
	Error          string    `json:"error"`
}

// Succeeded is whether the endpoint took the message: any 2xx, as the
// Standard Webhooks specification has it.
func (a Attempt) Succeeded() bool { return a.ResponseStatus >= 200 && a.ResponseStatus < 300 }

// EventTypes are the event types an endpoint can subscribe to, derived
// from the services that publish them, sorted.
func EventTypes() []string {
	var types []string
	for _, st := range orders.Statuses {
		types = append(types, st.Event())
	}
	types = append(types, orders.RefundEventTypes...)
	for _, kind := range inventory.EventKinds {
		types = append(types, "inventory."+kind)
	}
	types = append(types, notifications.EventTypes...)
	slices.Sort(types)
	return types
}

// CheckEventType says what is wrong with a subscription entry: a known
// event type, or a group of them ("order.*").
func CheckEventType(t string) error {
	types := EventTypes()
	if group, ok := strings.CutSuffix(t, ".*"); ok {
		if slices.ContainsFunc(types, func(known string) bool { return strings.HasPrefix(known, group+".") }) {
			return nil
		}
	} else if slices.Contains(types, t) {
		return nil
	}
	return fmt.Errorf("%q is no event type: want one of %s, or a group such as order.*", t, strings.Join(types, ", "))
}

// Subscribed reports whether an endpoint subscribed to types wants an
// event of type t.
func Subscribed(types []string, t string) bool {
	for _, s := range types {
		if s == t || strings.HasSuffix(s, ".*") && strings.HasPrefix(t, strings.TrimSuffix(s, "*")) {
			return true
		}
	}
	return false
}

// Outcome says in a line what the attempt got.
func (a Attempt) Outcome() string {
	if a.Error != "" {
		return a.Error
	}
	return fmt.Sprintf("HTTP %d", a.ResponseStatus)
}
