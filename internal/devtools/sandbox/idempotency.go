package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// paymentOp is one payment gateway operation. It runs under s.mu and returns
// the status and body to answer.
type paymentOp func(r *http.Request, body []byte, idempotencyKey string) (status int, response any)

// storedResponse is what a request answered, replayed for its idempotency key.
type storedResponse struct {
	fingerprint string
	status      int
	body        json.RawMessage
}

// idempotent runs op at most once per Idempotency-Key, the way Stripe does: a
// retry with the same key and request gets the first answer again (and marks
// it Idempotent-Replayed), the same key with another request is refused, and
// 5xx answers are forgotten so that a retry after a gateway error is a fresh
// attempt.
func (s *Sandbox) idempotent(op paymentOp) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			writePaymentError(w, http.StatusBadRequest, "missing_idempotency_key", "Every POST needs an Idempotency-Key header.")
			return
		}
		body, err := readBody(w, r)
		if err != nil {
			writePaymentError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		status, resp, replayed := s.runOnce(key, fingerprint(r, body), func() (int, any) { return op(r, body, key) })
		if replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		writeJSON(w, status, resp)
	}
}

// runOnce holds s.mu from the key lookup to storing the answer, so that two
// concurrent requests with one key cannot both run op.
func (s *Sandbox) runOnce(key, fingerprint string, op func() (int, any)) (status int, body json.RawMessage, replayed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Errors below are ignored because the sandbox's response types are plain
	// structs of strings and numbers, which always encode.
	if prev, ok := s.ledger.responses[key]; ok {
		if prev.fingerprint != fingerprint {
			status, resp := paymentFailure(http.StatusConflict, "idempotency_key_reused",
				"Keys for idempotent requests can only be used with the same parameters they were first used with.")
			body, _ := json.Marshal(resp)
			return status, body, false
		}
		return prev.status, prev.body, true
	}
	status, resp := op()
	body, _ = json.Marshal(resp)
	if status < 500 {
		s.ledger.responses[key] = storedResponse{fingerprint: fingerprint, status: status, body: body}
		if s.stateFile != "" {
			if err := saveLedger(s.stateFile, s.ledger); err != nil {
				s.log.Error("sandbox could not save the payment ledger", "file", s.stateFile, "error", err)
			}
		}
	}
	return status, body, false
}

// fingerprint identifies a request for idempotency. A JSON body is compared
// by value, so that spacing or key order do not make it "another request".
func fingerprint(r *http.Request, body []byte) string {
	canonical := body
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canonical = b
		}
	}
	sum := sha256.Sum256(canonical)
	return r.Method + " " + r.URL.Path + " " + hex.EncodeToString(sum[:])
}
