package activities

import (
	"time"

	"github.com/orderflow/orderflow/internal/domain/notifications"
)

// Delivery identifies one message on one channel. The send activities record
// their provider calls under it and send at most once per IdempotencyKey.
type Delivery struct {
	NotificationID string `json:"notification_id"`
	OrderID        string `json:"order_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key"`
	// LocalFirst says the workflow makes its first attempt as a local
	// activity: the regular activity's attempts are numbered after it.
	LocalFirst bool `json:"local_first,omitempty"`
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

// SendPushRequest sends one push notification: to the device DeviceToken
// names, or else to every device the customer registered, as they are when
// it is sent.
type SendPushRequest struct {
	Delivery
	DeviceToken string `json:"device_token,omitempty"`
	CustomerID  string `json:"customer_id,omitempty"`
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

// RecordNotificationRequest asks the notifications service to store a
// notification's state in its read model.
type RecordNotificationRequest struct {
	Input notifications.Input `json:"input"`
	State notifications.State `json:"state"`
}
