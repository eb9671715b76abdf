package workflows

// Notification channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// NotificationInput starts a NotificationWorkflow: one message, tried on each
// channel in the customer's order of preference until one delivers it.
type NotificationInput struct {
	// NotificationID is the message's idempotency key; the workflow ID is
	// derived from it, so the same message requested twice is sent once.
	NotificationID string   `json:"notification_id"`
	OrderID        string   `json:"order_id"`
	Kind           string   `json:"kind"` // e.g. "order.completed"
	Channels       []string `json:"channels"`
	Email          string   `json:"email,omitempty"`
	Phone          string   `json:"phone,omitempty"`
	Subject        string   `json:"subject"`
	Body           string   `json:"body"`
}

// NotificationWorkflowID is the workflow ID of a notification.
func NotificationWorkflowID(notificationID string) string { return "notification-" + notificationID }

// SendEmailRequest sends one email.
type SendEmailRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	To             string `json:"to"`
	Subject        string `json:"subject"`
	Body           string `json:"body"`
}

// SendSMSRequest sends one text message.
type SendSMSRequest struct {
	IdempotencyKey string `json:"idempotency_key"`
	To             string `json:"to"`
	Body           string `json:"body"`
}

// SendResult is the provider's ID of an accepted message.
type SendResult struct {
	ProviderMessageID string `json:"provider_message_id"`
}

// NotificationResult tells which channel delivered the message.
type NotificationResult struct {
	Channel           string            `json:"channel"`
	ProviderMessageID string            `json:"provider_message_id"`
	Failures          map[string]string `json:"failures,omitempty"` // channel -> why it was skipped
}
