package notifications

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactKeepsCodesAndDropsAddresses(t *testing.T) {
	in := Input{Email: "ada@example.com", Phone: "+15005550006", WebhookURL: "https://hooks.example.com/x?token=s3cret"}
	for reason, want := range map[string]string{
		"550 5.1.1 <ada@example.com>: Recipient address rejected":                             "550 5.1.1 <[redacted]>: Recipient address rejected",
		"550 5.1.1 <bob@other.example>: no such user":                                         "550 5.1.1 <[email]>: no such user",
		"twilio: permanent error 400 (code 21211): The 'To' number +15005550006 is not valid": "twilio: permanent error 400 (code 21211): The 'To' number [redacted] is not valid",
		"forwarded to +44 20 7946 0958":                                                       "forwarded to [phone]",
		"webhook: POST https://hooks.example.com/x?token=s3cret: 500":                         "webhook: POST [redacted]: 500",
		"webhook: POST https://elsewhere.example/y: 500":                                      "webhook: POST [url] 500",
		"30003": "30003",
		"retry budget exhausted: sendgrid: transient error 503: try later": "retry budget exhausted: sendgrid: transient error 503: try later",
	} {
		assert.Equal(t, want, redact(reason, in), reason)
	}
	long := redact(strings.Repeat("x", 1000), in)
	assert.Len(t, []rune(long), maxReason+1)
}
