// Package providers delivers messages: email through SendGrid and SMS through
// Twilio with their official SDKs, push notifications through a generic HTTP
// push service, and signed webhooks to receivers' URLs. It sorts failures into
// permanent ones (do not retry) and transient ones (retry, after Retry-After
// when the provider says).
//
// Every sender takes a base URL: "" is the real provider, and a local one is
// the sandbox (internal/devtools/sandbox), so the same code runs in development, in
// tests and in production.
package providers

// Provider names, as in errors, attempts and circuit breakers.
const (
	SendGridName = "sendgrid"
	TwilioName   = "twilio"
	PushName     = "push"
	WebhookName  = "webhook"
)

// Receipt is a provider's acceptance of a message.
type Receipt struct {
	// MessageID is the provider's ID of the message (SendGrid's X-Message-Id,
	// Twilio's SID...): delivery status callbacks name it.
	MessageID string
	// Status is the HTTP status of the acceptance.
	Status int
}
