// Package httpx holds the HTTP plumbing shared by every service: RFC 9457
// problem responses, JSON decoding with limits, middleware, and the
// health, readiness and metrics endpoints.
package httpx

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists field-level validation failures, when there are any.
	Errors []FieldError `json:"errors,omitempty"`
	// RetryAfter, in seconds, goes out as the Retry-After header of a 429
	// or a 503.
	RetryAfter int `json:"-"`
}

// FieldError names one invalid field of a request body.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error lets handlers return a *Problem as an error.
func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// NewProblem builds a problem whose title is the status text.
func NewProblem(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, problem *Problem) {
	p := *problem // a problem may be shared: each answer gets its own instance
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteJSON writes v as application/json with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
