package providers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// SMS is one text message.
type SMS struct {
	To   string // E.164
	From string // a Twilio number, or a Messaging Service SID (MG...)
	Body string
	// IdempotencyKey is sent as an Idempotency-Key header. The Messages API
	// ignores it (Twilio has no idempotency for messages); it is there for
	// tracing and for the sandbox's recordings. Deduplication is the
	// caller's job.
	IdempotencyKey string
	StatusCallback string // URL Twilio posts delivery status to
}

// Twilio sends SMS through Twilio's Messages API with twilio-go.
type Twilio struct {
	accountSID, authToken string
	target                *url.URL // nil: the real api.twilio.com
	httpClient            *http.Client
}

// NewTwilio returns a Twilio sender. baseURL "" targets the real API;
// otherwise its scheme and host replace Twilio's in every request, since
// twilio-go has no base-URL option. A nil httpClient gets a 10 s timeout.
func NewTwilio(accountSID, authToken, baseURL string, httpClient *http.Client) (*Twilio, error) {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	t := &Twilio{accountSID: accountSID, authToken: authToken, httpClient: httpClient}
	if baseURL != "" {
		u, err := url.Parse(baseURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("twilio: base URL %q is not an absolute URL", baseURL)
		}
		t.target = u
	}
	return t, nil
}

// Send asks Twilio to send sms and returns the message SID (SM...).
func (t *Twilio) Send(ctx context.Context, sms SMS) (Receipt, error) {
	// twilio-go takes no context, so the timeout the http.Client would
	// enforce moves onto ctx, which the transport binds to the request.
	if t.httpClient.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.httpClient.Timeout)
		defer cancel()
	}
	call := &callTransport{ctx: ctx, base: t.httpClient.Transport, target: t.target, idempotencyKey: sms.IdempotencyKey}
	if call.base == nil {
		call.base = http.DefaultTransport
	}
	httpClient := *t.httpClient // keeps CheckRedirect and Jar; the base transport (and its pool) is shared
	httpClient.Transport, httpClient.Timeout = call, 0

	sdk := &client.Client{Credentials: client.NewCredentials(t.accountSID, t.authToken), HTTPClient: &httpClient}
	sdk.SetAccountSid(t.accountSID)
	params := (&openapi.CreateMessageParams{}).SetTo(sms.To).SetBody(sms.Body)
	if strings.HasPrefix(sms.From, "MG") {
		params.SetMessagingServiceSid(sms.From)
	} else {
		params.SetFrom(sms.From)
	}
	if sms.StatusCallback != "" {
		params.SetStatusCallback(sms.StatusCallback)
	}

	msg, err := openapi.NewApiServiceWithClient(sdk).CreateMessage(params)
	if err != nil {
		return Receipt{}, call.classify(err)
	}
	if msg.Sid == nil {
		return Receipt{}, &TransientError{Provider: TwilioName, Status: call.status, Message: "answer without a message sid"}
	}
	return Receipt{MessageID: *msg.Sid, Status: call.status}, nil
}

// callTransport carries one Send: it binds the caller's context, points the
// request at the target, adds the idempotency key, and keeps the answer's
// status and headers, which twilio-go drops when it returns an error (and
// Retry-After is among them).
type callTransport struct {
	ctx            context.Context
	base           http.RoundTripper
	target         *url.URL
	idempotencyKey string

	status int // of the last answer; the SDK makes one request per Send
	header http.Header
}

func (c *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(c.ctx)
	if c.target != nil {
		req.URL.Scheme, req.URL.Host = c.target.Scheme, c.target.Host
		req.Host = ""
	}
	if c.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", c.idempotencyKey)
	}
	resp, err := c.base.RoundTrip(req)
	if err == nil {
		c.status, c.header = resp.StatusCode, resp.Header
	}
	return resp, err
}

// classify turns what twilio-go returned into a PermanentError or a
// TransientError.
func (c *callTransport) classify(err error) error {
	var rest *client.TwilioRestError
	if errors.As(err, &rest) {
		status := rest.Status
		if status == 0 {
			status = c.status
		}
		return statusError(TwilioName, status, rest.Code, rest.Message, c.header)
	}
	if c.status >= 400 {
		// An error answer that is not Twilio's JSON, e.g. a proxy's HTML 502.
		return statusError(TwilioName, c.status, 0, err.Error(), c.header)
	}
	return &TransientError{Provider: TwilioName, Status: c.status, Message: err.Error(), Err: err}
}
