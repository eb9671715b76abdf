package sandbox

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
)

// receiveWebhook is POST /hooks/{name}: a customer's webhook receiver. With a
// signing secret it verifies X-Orderflow-Signature as a careful receiver
// would, and answers 401 to a bad or stale one; it records what it accepts.
func (s *Sandbox) receiveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	signature := r.Header.Get(providers.SignatureHeader)
	if len(s.webhookSecret) > 0 {
		if err := providers.VerifyWebhook(s.webhookSecret, signature, body, s.now(), providers.SignatureTolerance); err != nil {
			writeProblem(w, http.StatusUnauthorized, err.Error())
			return
		}
	}
	msg := Message{
		Provider: ProviderWebhook, ID: newID("hook_", 12), To: mux.Vars(r)["name"], Body: string(body),
		IdempotencyKey: r.Header.Get(providers.DeliveryHeader),
		Headers:        map[string]string{providers.SignatureHeader: signature},
	}
	s.mu.Lock()
	s.recordMessage(msg)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
