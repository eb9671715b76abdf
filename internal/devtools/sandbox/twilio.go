package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gorilla/mux"
)

// twilioError is Twilio's REST error shape, decoded by twilio-go into a
// *client.TwilioRestError.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func writeTwilioError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, twilioError{
		Code:     code,
		Message:  message,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		Status:   status,
	})
}

// twilioMessage is a Message resource as the 2010-04-01 API returns it, with
// nulls where Twilio has them, so twilio-go's ApiV2010Message decodes it.
type twilioMessage struct {
	Sid                 string            `json:"sid"`
	AccountSid          string            `json:"account_sid"`
	MessagingServiceSid *string           `json:"messaging_service_sid"`
	To                  string            `json:"to"`
	From                *string           `json:"from"`
	Body                string            `json:"body"`
	Status              string            `json:"status"`
	Direction           string            `json:"direction"`
	APIVersion          string            `json:"api_version"`
	NumMedia            string            `json:"num_media"`
	DateCreated         string            `json:"date_created"`
	DateUpdated         string            `json:"date_updated"`
	DateSent            *string           `json:"date_sent"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	URI                 string            `json:"uri"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// twilioTestNumbers are the 'To' numbers Twilio's test credentials refuse,
// with the refusal; every other well-formed number is accepted (as
// +15005550006 is).
var twilioTestNumbers = map[string]struct {
	code    int
	message string
}{
	"+15005550001": {21211, "The 'To' number +15005550001 is not a valid phone number."},
	"+15005550002": {21612, "The 'To' phone number: +15005550002, is not currently reachable via SMS."},
	"+15005550003": {21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: +15005550003."},
	"+15005550004": {21610, "Attempt to send to unsubscribed recipient +15005550004."},
	"+15005550009": {21614, "'To' number +15005550009 is not a valid mobile number."},
}

// twilioAuth requires HTTP basic auth whose username is the account SID of the
// path (and whose password is the auth token, when the sandbox has one).
func (s *Sandbox) twilioAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		if !ok || user != mux.Vars(r)["AccountSid"] || (s.twilioAuthToken != "" && password != s.twilioAuthToken) {
			writeTwilioError(w, http.StatusUnauthorized, 20003, "Authenticate: your AccountSid or AuthToken was incorrect.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// createMessage is POST /2010-04-01/Accounts/{AccountSid}/Messages.json.
// Twilio has no idempotency key for messages; an Idempotency-Key header, if
// sent, is only recorded.
func (s *Sandbox) createMessage(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeTwilioError(w, http.StatusBadRequest, 20000+http.StatusBadRequest, "Unable to parse the form body: "+err.Error())
		return
	}
	to, from := r.PostForm.Get("To"), r.PostForm.Get("From")
	service, body := r.PostForm.Get("MessagingServiceSid"), r.PostForm.Get("Body")
	switch {
	case to == "":
		writeTwilioError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case from == "" && service == "":
		writeTwilioError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case body == "":
		writeTwilioError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case !e164.MatchString(to):
		writeTwilioError(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
		return
	}
	if refusal, ok := twilioTestNumbers[to]; ok {
		writeTwilioError(w, http.StatusBadRequest, refusal.code, refusal.message)
		return
	}

	account := mux.Vars(r)["AccountSid"]
	sid := newID("SM", 16)
	uri := "/2010-04-01/Accounts/" + account + "/Messages/" + sid
	created := s.now().UTC().Format(time.RFC1123Z) // Twilio's RFC 2822 dates
	msg := twilioMessage{
		Sid:             sid,
		AccountSid:      account,
		To:              to,
		Body:            body,
		Status:          "queued",
		Direction:       "outbound-api",
		APIVersion:      "2010-04-01",
		NumMedia:        "0",
		DateCreated:     created,
		DateUpdated:     created,
		PriceUnit:       "USD",
		URI:             uri + ".json",
		SubresourceURIs: map[string]string{"media": uri + "/Media.json"},
	}
	if service != "" {
		msg.MessagingServiceSid = &service
	}
	if from != "" {
		msg.From = &from
	} else {
		// Twilio picks a sender from the Messaging Service's pool later.
		msg.Status = "accepted"
	}
	recorded := Message{
		Provider:       ProviderTwilio,
		ID:             sid,
		To:             to,
		From:           from,
		Body:           body,
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
		StatusCallback: r.PostForm.Get("StatusCallback"),
	}
	if from == "" {
		recorded.From = service
	}

	s.mu.Lock()
	s.sms[sid] = msg
	s.recordMessage(recorded)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, msg)
	if recorded.StatusCallback != "" {
		_, authToken, _ := r.BasicAuth()
		s.inBackground(func(ctx context.Context) { s.postTwilioStatuses(ctx, recorded.StatusCallback, authToken, msg) })
	}
}

// fetchMessage is GET /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json.
func (s *Sandbox) fetchMessage(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	s.mu.Lock()
	msg, ok := s.sms[vars["MessageSid"]]
	s.mu.Unlock()
	if !ok || msg.AccountSid != vars["AccountSid"] {
		writeTwilioError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	writeJSON(w, http.StatusOK, msg)
}
