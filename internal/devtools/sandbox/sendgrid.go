package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
)

// sendGridError is one entry of SendGrid's error list. Field is null when the
// error is not about a field, as in SendGrid's answers.
type sendGridError struct {
	Message string  `json:"message"`
	Field   *string `json:"field"`
}

func writeSendGridErrors(w http.ResponseWriter, status int, errs ...sendGridError) {
	writeJSON(w, status, struct {
		Errors []sendGridError `json:"errors"`
	}{errs})
}

// sendGridMail is the part of a v3 mail/send body the sandbox looks at.
type sendGridMail struct {
	Personalizations []struct {
		To         []sendGridAddress `json:"to"`
		Subject    string            `json:"subject"`
		CustomArgs map[string]string `json:"custom_args"`
		Headers    map[string]string `json:"headers"`
	} `json:"personalizations"`
	From    *sendGridAddress `json:"from"`
	Subject string           `json:"subject"`
	Content []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	TemplateID string            `json:"template_id"`
	CustomArgs map[string]string `json:"custom_args"`
	Headers    map[string]string `json:"headers"`
}

type sendGridAddress struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

func validEmail(address string) bool {
	a, err := mail.ParseAddress(address)
	return err == nil && a.Address == address
}

// validate reports what SendGrid would refuse in m, with SendGrid's messages.
func (m *sendGridMail) validate() []sendGridError {
	var errs []sendGridError
	add := func(field, message string) {
		errs = append(errs, sendGridError{Message: message, Field: &field})
	}
	if len(m.Personalizations) == 0 {
		add("personalizations", "The personalizations field is required and must have at least 1 item.")
	}
	everySubject := len(m.Personalizations) > 0
	for i, p := range m.Personalizations {
		if len(p.To) == 0 {
			add(fmt.Sprintf("personalizations.%d.to", i), "The to array is required for all personalization objects, and must have at least one email object with a valid email address.")
		}
		for j, to := range p.To {
			if !validEmail(to.Email) {
				add(fmt.Sprintf("personalizations.%d.to.%d.email", i, j), "Does not contain a valid address.")
			}
		}
		everySubject = everySubject && p.Subject != ""
	}
	switch {
	case m.From == nil:
		add("from", "The from object must be provided for every email send. It is an object that requires an email parameter, but may also contain a name parameter.")
	case !validEmail(m.From.Email):
		add("from.email", "The from email does not contain a valid address.")
	}
	if m.Subject == "" && !everySubject && m.TemplateID == "" {
		add("subject", "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.")
	}
	if len(m.Content) == 0 && m.TemplateID == "" {
		add("content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.")
	}
	for i, c := range m.Content {
		if c.Value == "" {
			add(fmt.Sprintf("content.%d.value", i), "The content value must be a string at least one character in length.")
		}
	}
	return errs
}

// record turns an accepted mail into a Message. Personalization custom_args
// and headers override the top-level ones, as SendGrid merges them.
func (m *sendGridMail) record(id string) Message {
	msg := Message{
		Provider:   ProviderSendGrid,
		ID:         id,
		From:       m.From.Email,
		Subject:    m.Subject,
		CustomArgs: merge(nil, m.CustomArgs),
		Headers:    merge(nil, m.Headers),
	}
	var to []string
	for _, p := range m.Personalizations {
		for _, a := range p.To {
			to = append(to, a.Email)
		}
		if p.Subject != "" {
			msg.Subject = p.Subject
		}
		msg.CustomArgs = merge(msg.CustomArgs, p.CustomArgs)
		msg.Headers = merge(msg.Headers, p.Headers)
	}
	msg.To = strings.Join(to, ", ")
	msg.IdempotencyKey = msg.CustomArgs["idempotency_key"]
	// The text part is what a test wants to read; HTML only when alone.
	for _, c := range m.Content {
		if msg.Body == "" || c.Type == "text/plain" {
			msg.Body = c.Value
		}
	}
	return msg
}

// merge copies src into dst, allocating dst only when there is something to
// copy, so that a mail without custom_args records none.
func merge(dst, src map[string]string) map[string]string {
	for k, v := range src {
		if dst == nil {
			dst = map[string]string{}
		}
		dst[k] = v
	}
	return dst
}

// sendMail is POST /v3/mail/send. Like SendGrid it answers 202 with an empty
// body and the message id in X-Message-Id. SendGrid has no idempotency key:
// every accepted request is a new message.
func (s *Sandbox) sendMail(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		writeSendGridErrors(w, http.StatusUnauthorized, sendGridError{Message: "authorization required"})
		return
	}
	var m sendGridMail
	if err := readJSON(w, r, &m); err != nil {
		writeSendGridErrors(w, http.StatusBadRequest, sendGridError{Message: "Bad Request: " + err.Error()})
		return
	}
	if errs := m.validate(); len(errs) > 0 {
		writeSendGridErrors(w, http.StatusBadRequest, errs...)
		return
	}
	msg := m.record(newSendGridMessageID())
	s.mu.Lock()
	s.recordMessage(msg)
	s.mu.Unlock()
	w.Header().Set("X-Message-Id", msg.ID)
	w.WriteHeader(http.StatusAccepted)
	if s.sendGridEvents != "" {
		s.inBackground(func(ctx context.Context) { s.postSendGridEvents(ctx, msg) })
	}
}
