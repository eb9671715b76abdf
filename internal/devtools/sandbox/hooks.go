package sandbox

import (
	"net/http"

	"github.com/gorilla/mux"
)

// receiveWebhook is POST /hooks/{name}: a customer's webhook receiver. It
// verifies the Standard Webhooks signature (webhook-id, webhook-timestamp,
// webhook-signature) as a careful receiver would, with the receiver's own
// secret when one is configured (receivers.go) and the sandbox's
// WEBHOOK_SIGNING_SECRET otherwise, and answers 401 to a bad or stale one.
// A verified request gets the receiver's next configured status (204 when
// none is). Every request is recorded, with its verdict and answer.
func (s *Sandbox) receiveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	status, location, refusal := s.receive(mux.Vars(r)["name"], r.Header, body)
	switch {
	case refusal != "":
		writeProblem(w, status, refusal)
	case status >= 300 && status <= 399:
		w.Header().Set("Location", location)
		w.WriteHeader(status)
	case status >= 400:
		writeProblem(w, status, "sandbox receiver answers "+http.StatusText(status))
	default:
		w.WriteHeader(status)
	}
}
