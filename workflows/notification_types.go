package workflows

import "time"

// Notification channels. A customer's order of preference is
// NotificationInput.Channels.
const (
	ChannelEmail   = "email"
	ChannelSMS     = "sms"
	ChannelPush    = "push"
	ChannelWebhook = "webhook"
)

// Notification statuses, as the status query and the notifications read
// model show them.
const (
	NotificationPending   = "pending"   // being sent
	NotificationScheduled = "scheduled" // held by the customer's quiet hours until ScheduledFor
	NotificationSent      = "sent"      // a provider accepted it
	NotificationFailed    = "failed"    // every channel failed; waiting for a retry signal
)

// Retryable application error types of the send activities; permanent
// refusals are ErrPermanentDelivery.
const (
	// ErrTransientDelivery is a provider failure that may pass (5xx, 429,
	// timeout); when the provider said when to come back, the error's
	// NextRetryDelay says it.
	ErrTransientDelivery = "TransientDeliveryFailure"
	// ErrCircuitOpen is a call not made because the provider's circuit
	// breaker is open; NextRetryDelay is when it lets a call through.
	ErrCircuitOpen = "CircuitOpen"
)

// RetryWindow is how long a notification that failed on every channel waits
// for a manual retry before its workflow closes as failed. After that the
// API's retry starts a new run.
const RetryWindow = 7 * 24 * time.Hour

// QuietHours is a daily window, in the customer's time zone, in which
// non-urgent messages are not pushed to their phone.
type QuietHours struct {
	Start string `json:"start"` // "22:00"
	End   string `json:"end"`   // "07:00"; an End before Start spans midnight
}

// NotificationInput starts a NotificationWorkflow: one message, tried on each
// channel in the customer's order of preference until one delivers it.
type NotificationInput struct {
	// NotificationID is the message's idempotency key; the workflow ID is
	// derived from it, so the same message requested twice is sent once.
	NotificationID string `json:"notification_id"`
	OrderID        string `json:"order_id"`
	Kind           string `json:"kind"` // e.g. "order.completed"
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
}

// NotificationWorkflowID is the workflow ID of a notification.
func NotificationWorkflowID(notificationID string) string { return "notification-" + notificationID }

// Delivery identifies one message on one channel. The send activities record
// their provider calls under it and send at most once per IdempotencyKey.
type Delivery struct {
	NotificationID string `json:"notification_id"`
	OrderID        string `json:"order_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key"`
}

// SendEmailRequest sends one email.
type SendEmailRequest struct {
	Delivery
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// SendSMSRequest sends one text message.
type SendSMSRequest struct {
	Delivery
	To   string `json:"to"`
	Body string `json:"body"`
}

// SendPushRequest sends one push notification to a device.
type SendPushRequest struct {
	Delivery
	DeviceToken string `json:"device_token"`
	Title       string `json:"title"`
	Body        string `json:"body"`
}

// SendWebhookRequest posts one signed event to the customer's webhook URL.
type SendWebhookRequest struct {
	Delivery
	URL   string       `json:"url"`
	Event WebhookEvent `json:"event"`
}

// WebhookEvent is the JSON body of an outgoing webhook.
type WebhookEvent struct {
	ID      string    `json:"id"`   // the notification ID: receivers deduplicate on it
	Type    string    `json:"type"` // the notification's kind, e.g. "order.completed"
	OrderID string    `json:"order_id,omitempty"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Time    time.Time `json:"time"`
}

// SendResult is the provider's acceptance of a message.
type SendResult struct {
	Provider          string `json:"provider"`
	ProviderMessageID string `json:"provider_message_id"`
}

// NotificationState is a notification's progress: the status query's answer,
// what the read model stores and the workflow's result.
type NotificationState struct {
	NotificationID string `json:"notification_id"`
	Status         string `json:"status"`
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

// RecordNotificationRequest asks the notifications service to store a
// notification's state in its read model.
type RecordNotificationRequest struct {
	Input NotificationInput `json:"input"`
	State NotificationState `json:"state"`
}
