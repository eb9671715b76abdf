package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type sample struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecodeJSON(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		status                  int // 0: decodes
		detail                  string
	}{
		{"valid", "application/json", `{"name":"a","count":2}`, 0, ""},
		{"curl's default label", "application/x-www-form-urlencoded", `{"name":"a"}`, 0, ""},
		{"no content type", "", `{"name":"a"}`, 0, ""},
		{"xml", "application/xml", `<a/>`, 415, "application/json"},
		{"empty", "application/json", ``, 400, "empty"},
		{"truncated", "application/json", `{"name":`, 400, "unexpected end"},
		{"syntax", "application/json", `{"name" "a"}`, 400, "malformed JSON at byte"},
		{"unknown field", "application/json", `{"name":"a","extra":1}`, 400, `unknown field "extra"`},
		{"wrong type", "application/json", `{"count":"two"}`, 400, "count must be int"},
		{"two objects", "application/json", `{"name":"a"}{"name":"b"}`, 400, "single JSON object"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "exceeds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var dst sample
			p := DecodeJSON(httptest.NewRecorder(), r, &dst)
			if tc.status == 0 {
				if p != nil {
					t.Fatalf("want success, got %d %s", p.Status, p.Detail)
				}
				if dst.Name != "a" {
					t.Fatalf("decoded %+v", dst)
				}
				return
			}
			if p == nil {
				t.Fatalf("want %d, decoded %+v", tc.status, dst)
			}
			if p.Status != tc.status || !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("got %d %q, want %d containing %q", p.Status, p.Detail, tc.status, tc.detail)
			}
		})
	}
}

func TestWriteProblemIsProblemJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/x", nil), NewProblem(http.StatusNotFound, "no x"))
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), `"instance":"/x"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestRequestIDReusesWellFormedAndReplacesOthers(t *testing.T) {
	var seen string
	h := WithRequestID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = RequestID(r.Context()) }))
	for in, keep := range map[string]bool{"abc-123": true, "bad id\nwith newline": false, "": false} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if in != "" {
			r.Header.Set(RequestIDHeader, in)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if keep != (seen == in) || seen == "" || rec.Header().Get(RequestIDHeader) != seen {
			t.Fatalf("in %q: context %q, header %q", in, seen, rec.Header().Get(RequestIDHeader))
		}
	}
}
