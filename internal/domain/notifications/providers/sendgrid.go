package providers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	"github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"
)

// Email is one message to one recipient. To and From are bare addresses.
type Email struct {
	To, From       string
	Subject        string
	Text, HTML     string // at least one
	IdempotencyKey string // sent as custom_args "idempotency_key"
}

// SendGrid sends Email through SendGrid's v3 mail/send API.
type SendGrid struct {
	apiKey string
	host   string // "" is the real https://api.sendgrid.com
	client *rest.Client
}

// NewSendGrid returns a SendGrid sender. baseURL "" targets the real API. A
// nil httpClient gets a 10 s timeout: the SDK's default client has none.
func NewSendGrid(apiKey, baseURL string, httpClient *http.Client) *SendGrid {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	// The SDK's MakeRequest helpers go through the package-global
	// sendgrid.DefaultClient; a rest.Client of our own keeps this sender's
	// HTTP settings to itself.
	return &SendGrid{apiKey: apiKey, host: strings.TrimRight(baseURL, "/"), client: &rest.Client{HTTPClient: httpClient}}
}

// Send hands e to SendGrid and returns SendGrid's message id (X-Message-Id).
// SendGrid does not deduplicate: IdempotencyKey travels in custom_args so
// that events and the sandbox can tell which attempt sent what.
func (s *SendGrid) Send(ctx context.Context, e Email) (Receipt, error) {
	m := mail.NewV3Mail()
	m.SetFrom(mail.NewEmail("", e.From))
	m.Subject = e.Subject
	to := mail.NewPersonalization()
	to.AddTos(mail.NewEmail("", e.To))
	m.AddPersonalizations(to)
	// SendGrid wants text/plain before text/html.
	if e.Text != "" {
		m.AddContent(mail.NewContent("text/plain", e.Text))
	}
	if e.HTML != "" {
		m.AddContent(mail.NewContent("text/html", e.HTML))
	}
	if e.IdempotencyKey != "" {
		m.SetCustomArg("idempotency_key", e.IdempotencyKey)
	}

	req := sendgrid.GetRequest(s.apiKey, "/v3/mail/send", s.host)
	req.Method = rest.Post
	req.Body = mail.GetRequestBody(m)
	resp, err := s.client.SendWithContext(ctx, req)
	if err != nil {
		return Receipt{}, &TransientError{Provider: SendGridName, Message: err.Error(), Err: err}
	}
	header := http.Header(resp.Headers)
	// The SDK returns err == nil for every answer: the status decides.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Receipt{}, statusError(SendGridName, resp.StatusCode, 0, sendGridErrorMessage(resp.Body), header)
	}
	return Receipt{MessageID: header.Get("X-Message-Id"), Status: resp.StatusCode}, nil
}

// sendGridErrorMessage joins the messages of SendGrid's {"errors":[...]}
// body, or returns the body as is when it is not that.
func sendGridErrorMessage(body string) string {
	var answer struct {
		Errors []struct {
			Message string  `json:"message"`
			Field   *string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &answer) != nil || len(answer.Errors) == 0 {
		return strings.TrimSpace(body)
	}
	messages := make([]string, 0, len(answer.Errors))
	for _, e := range answer.Errors {
		if e.Field != nil {
			messages = append(messages, *e.Field+": "+e.Message)
		} else {
			messages = append(messages, e.Message)
		}
	}
	return strings.Join(messages, "; ")
}
