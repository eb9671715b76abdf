package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/platform/webhooksign"
)

// A webhook receiver is a customer's endpoint, POST /hooks/{name} (hooks.go),
// that tests configure to behave as a real one may: verify with a secret of
// its own, fail a few times before succeeding, or redirect. Every request it
// receives is recorded as a Message of ProviderWebhook, verified or not.
//
//	PUT    /_sandbox/receivers/{name}           configure it (ReceiverConfig)
//	DELETE /_sandbox/receivers/{name}           forget the configuration
//	GET    /_sandbox/receivers/{name}/requests  the requests it received, oldest first

// ReceiverConfig configures the webhook receiver /hooks/{name}.
type ReceiverConfig struct {
	// Secret is the Standard Webhooks secret ("whsec_...") it verifies
	// with; "" verifies with the sandbox's WEBHOOK_SIGNING_SECRET.
	Secret string `json:"secret,omitempty"`
	// Responses are the statuses answered to verified requests, one per
	// request; the last repeats once they are used up. Empty answers 204
	// to every request.
	Responses []int `json:"responses,omitempty"`
	// RedirectTo is the Location of a 3xx answer.
	RedirectTo string `json:"redirect_to,omitempty"`
}

func (c ReceiverConfig) validate() error {
	if c.Secret != "" {
		if err := webhooksign.CheckSecret(c.Secret); err != nil {
			return fmt.Errorf("secret: %w", err)
		}
	}
	redirects := false
	for _, status := range c.Responses {
		if status < 200 || status > 599 {
			return fmt.Errorf("responses: %d is not a status a receiver answers (200-599)", status)
		}
		redirects = redirects || (status >= 300 && status <= 399)
	}
	if c.RedirectTo != "" {
		if u, err := url.Parse(c.RedirectTo); err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("redirect_to: %q is not an absolute URL", c.RedirectTo)
		}
	} else if redirects {
		return errors.New("redirect_to: a 3xx response needs a Location to redirect to")
	}
	return nil
}

// receiver is a configured receiver and how far it is in its responses.
type receiver struct {
	ReceiverConfig
	answered int // verified requests answered so far
}

// next returns the status for the next verified request and consumes it.
// Callers hold s.mu.
func (r *receiver) next() int {
	if len(r.Responses) == 0 {
		return http.StatusNoContent
	}
	status := r.Responses[min(r.answered, len(r.Responses)-1)]
	r.answered++
	return status
}

// receiverView is what PUT /_sandbox/receivers/{name} answers: the
// configuration, the secret only said to be set.
type receiverView struct {
	Name       string `json:"name"`
	OwnSecret  bool   `json:"own_secret"`
	Responses  []int  `json:"responses"`
	RedirectTo string `json:"redirect_to,omitempty"`
}

// ConfigureReceiver configures the receiver /hooks/{name}, replacing an
// earlier configuration and starting its responses over.
func (s *Sandbox) ConfigureReceiver(name string, c ReceiverConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	c.Responses = slices.Clone(c.Responses)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.receivers[name] = &receiver{ReceiverConfig: c}
	return nil
}

// ForgetReceiver drops the configuration of /hooks/{name}: it answers 204
// and verifies with the sandbox's secret again.
func (s *Sandbox) ForgetReceiver(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.receivers, name)
}

// ReceivedRequests returns the requests /hooks/{name} received, verified or
// not, oldest first.
func (s *Sandbox) ReceivedRequests(name string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Message{}
	for _, m := range s.messages {
		if m.Provider == ProviderWebhook && m.To == name {
			out = append(out, m)
		}
	}
	return out
}

// receive decides the answer to a webhook for receiver name and records
// the request: 401 when its signature fails, else the receiver's next
// status. A receiver with no secret at all (none configured, the sandbox
// started without WEBHOOK_SIGNING_SECRET) checks nothing.
func (s *Sandbox) receive(name string, h http.Header, body []byte) (status int, location, refusal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rcv := s.receivers[name]
	secret := string(s.webhookSecret)
	if rcv != nil && rcv.Secret != "" {
		secret = rcv.Secret
	}
	verified := false
	if secret != "" {
		// Verify reads the wall clock, not s.now: the timestamp is the
		// sender's, checked against the time the request arrives.
		if err := webhooksign.Verify(secret, h, body); err != nil {
			refusal = "webhook signature refused: " + err.Error()
		} else {
			verified = true
		}
	}
	switch {
	case refusal != "":
		status = http.StatusUnauthorized
	case rcv != nil:
		status = rcv.next()
		if status >= 300 && status <= 399 {
			location = rcv.RedirectTo
		}
	default:
		status = http.StatusNoContent
	}
	headers := map[string]string{}
	for _, k := range []string{webhooksign.IDHeader, webhooksign.TimestampHeader, webhooksign.SignatureHeader} {
		if v := h.Get(k); v != "" {
			headers[k] = v
		}
	}
	s.recordMessage(Message{
		Provider: ProviderWebhook, ID: newID("hook_", 12), To: name, Body: string(body),
		IdempotencyKey: h.Get(webhooksign.IDHeader),
		Headers:        headers,
		Verified:       verified,
		Refusal:        refusal,
		Status:         status,
	})
	return status, location, refusal
}

func (s *Sandbox) putReceiver(w http.ResponseWriter, r *http.Request) {
	name := mux.Vars(r)["name"]
	body, err := readBody(w, r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	var c ReceiverConfig
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields() // a misspelt field would go unnoticed
	if err := dec.Decode(&c); err != nil {
		writeProblem(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	if dec.More() {
		writeProblem(w, http.StatusBadRequest, "invalid JSON body: trailing data after the JSON value")
		return
	}
	if err := s.ConfigureReceiver(name, c); err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, receiverView{Name: name, OwnSecret: c.Secret != "", Responses: nonNil(c.Responses), RedirectTo: c.RedirectTo})
}

func (s *Sandbox) deleteReceiver(w http.ResponseWriter, r *http.Request) {
	s.ForgetReceiver(mux.Vars(r)["name"])
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) listReceivedRequests(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.ReceivedRequests(mux.Vars(r)["name"]))
}
