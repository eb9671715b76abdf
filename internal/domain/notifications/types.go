package notifications

import "time"

// Notification channels. A customer's order of preference is
// Contact.Channels.
const (
	ChannelEmail   = "email"
	ChannelSMS     = "sms"
	ChannelPush    = "push"
	ChannelWebhook = "webhook"
)

// Status is where a notification is: as its workflow's status query and the
// read model show it.
type Status string

// Notification statuses.
const (
	StatusPending   Status = "pending"   // being sent
	StatusScheduled Status = "scheduled" // held by the customer's quiet hours until ScheduledFor
	StatusSent      Status = "sent"      // a provider accepted it
	StatusFailed    Status = "failed"    // every channel failed; waiting for a retry signal
)

// Contact is how a customer is told about an order: the addresses, and the
// customer's notification preferences as they were when the order was
// placed, like an address on a parcel.
type Contact struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Channels to try, in order; none means email, then SMS.
	Channels []string `json:"channels,omitempty"`
	// TimeZone (IANA) in which QuietHours are read; "" is UTC.
	TimeZone   string      `json:"time_zone,omitempty"`
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
}

// QuietHours is a daily window, in the customer's time zone, in which
// non-urgent messages are not pushed to their phone.
type QuietHours struct {
	Start string `json:"start"` // "22:00"
	End   string `json:"end"`   // "07:00"; an End before Start spans midnight
}

// Input starts a notification's workflow (workflows.NotificationWorkflow):
// one message, tried on each channel in the customer's order of preference
// until one delivers it.
type Input struct {
	// NotificationID is the message's idempotency key; the workflow ID is
	// derived from it, so the same message requested twice is sent once.
	NotificationID string `json:"notification_id"`
	OrderID        string `json:"order_id"`
	Kind           string `json:"kind"` // e.g. "order.completed"
	// CustomerID is whose devices a push goes to, without a DeviceToken:
	// they are read when it is sent.
	CustomerID string `json:"customer_id,omitempty"`
	// Urgent messages ignore quiet hours.
	Urgent   bool     `json:"urgent,omitempty"`
	Channels []string `json:"channels"`
	// Addresses, one per channel; a channel without one is skipped.
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	DeviceToken string `json:"device_token,omitempty"`
	WebhookURL  string `json:"webhook_url,omitempty"`
	// TimeZone is the customer's IANA time zone ("Europe/Paris"); "" is UTC.
	TimeZone   string      `json:"time_zone,omitempty"`
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
	Subject    string      `json:"subject"`
	Body       string      `json:"body"`
	// After is set on a late bounce's follow-up (Store.RecordDeliveryEvent,
	// LateBounceWindow): the channel the message was sent on and did not
	// reach the customer through. Channels are then the ones after it, so
	// the workflow delivers a follow-up as any other message.
	After string `json:"after,omitempty"`
}

// WorkflowID is the workflow ID of a notification.
func WorkflowID(notificationID string) string { return "notification-" + notificationID }

// WorkflowID is the ID of the workflow that delivers in: the notification's
// own (WorkflowID), or for a late bounce's follow-up one derived from the
// channel it moves on from, the same for every callback that reports the
// bounce, so that the follow-up starts once.
func (in Input) WorkflowID() string {
	if in.After == "" {
		return WorkflowID(in.NotificationID)
	}
	return WorkflowID(in.NotificationID) + "-after-" + in.After
}

// HasAddress reports whether in has the customer's address on channel.
func (in Input) HasAddress(channel string) bool {
	switch channel {
	case ChannelEmail:
		return in.Email != ""
	case ChannelSMS:
		return in.Phone != ""
	case ChannelPush: // the device named, or the customer's registered ones
		return in.DeviceToken != "" || in.CustomerID != ""
	case ChannelWebhook:
		return in.WebhookURL != ""
	}
	return false
}

// State is a notification's progress: its workflow's status query's answer,
// what the read model stores and the workflow's result.
type State struct {
	NotificationID string `json:"notification_id"`
	Status         Status `json:"status"`
	Round          int    `json:"round"` // 1, plus one per manual retry
	// The channel that delivered the message, its provider and message ID.
	Channel           string     `json:"channel,omitempty"`
	Provider          string     `json:"provider,omitempty"`
	ProviderMessageID string     `json:"provider_message_id,omitempty"`
	ScheduledFor      *time.Time `json:"scheduled_for,omitempty"`
	// Failures tells, for this round, why each channel did not deliver.
	Failures  map[string]string `json:"failures,omitempty"`
	UpdatedAt time.Time         `json:"updated_at"`
}
