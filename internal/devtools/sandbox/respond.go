package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// maxBody bounds what the sandbox reads from a request: every real payload is
// a few kilobytes, and a bound keeps a runaway client from exhausting memory.
const maxBody = 1 << 20

// writeJSON is the sandbox's one way to answer with a JSON body. A
// Content-Type set beforehand (application/problem+json) is kept.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sandbox: encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client may be gone; nothing useful to do about it
}

// problem is an RFC 9457 problem detail, used by the control API and for
// requests that reach no provider route.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	writeJSON(w, status, problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
}

// readBody reads the whole request body, refusing bodies over maxBody.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
}

// decodeJSON decodes exactly one JSON value; unknown fields are ignored, as
// the real APIs do. An empty body leaves v as it is,
// because several endpoints take an optional body (capture, void, refund).
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return errors.New("invalid JSON body: " + err.Error())
	}
	if dec.More() {
		return errors.New("invalid JSON body: trailing data after the JSON value")
	}
	return nil
}

// readJSON reads and decodes a request body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}
