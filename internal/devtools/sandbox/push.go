package sandbox

import (
	"net/http"
	"regexp"
	"strings"
)

// The push service is the small JSON API of providers.Push: POST
// /push/v1/messages with a bearer key and {"token","title","body","data"},
// answered 201 {"id"}, errors as {"error":{"code","message"}}.

// validPushToken is the shape of FCM and APNs registration tokens, loosely.
var validPushToken = regexp.MustCompile(`^[A-Za-z0-9_:.\-]{8,1000}$`)

// UnregisteredPushToken is refused with 410 Gone, as FCM and APNs refuse a
// token whose app was uninstalled.
const UnregisteredPushToken = "unregistered-device-token"

func writePushError(w http.ResponseWriter, status int, code, message string) {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, message
	writeJSON(w, status, body)
}

// sendPush is POST /push/v1/messages.
func (s *Sandbox) sendPush(w http.ResponseWriter, r *http.Request) {
	if key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok || strings.TrimSpace(key) == "" {
		writePushError(w, http.StatusUnauthorized, "unauthenticated", "A bearer API key is required.")
		return
	}
	var req struct {
		Token string            `json:"token"`
		Title string            `json:"title"`
		Body  string            `json:"body"`
		Data  map[string]string `json:"data"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writePushError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	switch {
	case !validPushToken.MatchString(req.Token):
		writePushError(w, http.StatusBadRequest, "invalid_token", "The registration token is not a valid token.")
		return
	case req.Token == UnregisteredPushToken:
		writePushError(w, http.StatusGone, "unregistered", "The registration token is no longer registered.")
		return
	case req.Body == "":
		writePushError(w, http.StatusBadRequest, "invalid_request", "body is required.")
		return
	}
	msg := Message{
		Provider: ProviderPush, ID: newID("push_", 12), To: req.Token,
		Subject: req.Title, Body: req.Body, CustomArgs: merge(nil, req.Data),
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
	}
	s.mu.Lock()
	s.recordMessage(msg)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"id": msg.ID})
}
