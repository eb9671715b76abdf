package httpx

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
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
		{"field name in another case", "application/json", `{"Name":"a"}`, 400, `unknown field "Name"`},
		{"field names in both cases", "application/json", `{"name":"a","NAME":"b"}`, 400, `unknown field "NAME"`},
		{"wrong type", "application/json", `{"count":"two"}`, 400, "count must be an integer"},
		{"not an object", "application/json", `["a"]`, 400, "body must be an object"},
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

// order is a request body with every kind of field the walks over decoded
// bodies must see through: nested structs, slices, pointers, maps, and
// fields promoted from an embedded struct.
type order struct {
	named
	Items   []orderItem `json:"items"`
	Payment *struct {
		Token string `json:"token"`
	} `json:"payment"`
	Notes    map[string]string `json:"notes"`
	Untagged string
}

type named struct {
	Name string `json:"name"`
}

type orderItem struct {
	SKU string `json:"sku"`
	Qty int    `json:"quantity"`
}

func decodeOrder(t *testing.T, body string) (order, *Problem) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	var dst order
	return dst, DecodeJSON(httptest.NewRecorder(), r, &dst)
}

// PostgreSQL refuses U+0000 in text and jsonb: a NUL in any string of a
// body is a 422 naming the field, before a handler can store it.
func TestDecodeJSONRefusesNUL(t *testing.T) {
	for body, field := range map[string]string{
		`{"name":"a\u0000b"}`:                                  "name",
		`{"items":[{"sku":"ok"},{"sku":"\u0000"}]}`:            "items[1].sku",
		`{"payment":{"token":"a\u0000b"}}`:                     "payment.token",
		`{"notes":{"k":"v\u0000"}}`:                            "notes.k",
		`{"notes":{"k\u0000":"v"}}`:                            "notes",
		`{"Untagged":"\u0000"}`:                                "Untagged",
		`{"items":[],"payment":{"token":"t"},"name":"\u0000"}`: "name",
	} {
		_, p := decodeOrder(t, body)
		if p == nil {
			t.Errorf("%s: accepted", body)
			continue
		}
		if p.Status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != field ||
			p.Errors[0].Detail != "must not contain NUL characters" || !strings.Contains(p.Detail, field+" must not contain NUL characters") {
			t.Errorf("%s: got %d %q %+v, want 422 naming %s", body, p.Status, p.Detail, p.Errors, field)
		}
	}
	// An escaped backslash before u0000 is no NUL.
	if dst, p := decodeOrder(t, `{"name":"a\\u0000"}`); p != nil || dst.Name != `a\u0000` {
		t.Fatalf(`a\\u0000: %v %+v`, p, dst)
	}
}

// Field names match exactly, as the json tags spell them: encoding/json
// alone would take "Items" for "items".
func TestDecodeJSONFieldNamesAreCaseSensitive(t *testing.T) {
	for body, field := range map[string]string{
		`{"Items":[{"sku":"a","quantity":1}]}`: "Items",
		`{"items":[{"SKU":"a"}]}`:              "items[0].SKU",
		`{"payment":{"Token":"t"}}`:            "payment.Token",
		`{"NAME":"a"}`:                         "NAME",
		`{"untagged":"a"}`:                     "untagged",
		`{"items":[{"sku":"a","extra":1}]}`:    "items[0].extra",
	} {
		_, p := decodeOrder(t, body)
		if p == nil {
			t.Errorf("%s: accepted", body)
			continue
		}
		if p.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != field ||
			!strings.Contains(p.Detail, "unknown field \""+field+"\"") {
			t.Errorf("%s: got %d %q %+v, want 400 naming %s", body, p.Status, p.Detail, p.Errors, field)
		}
	}
	want := order{named: named{"n"}, Items: []orderItem{{"a", 1}}, Notes: map[string]string{"Any": "Case"}, Untagged: "u"}
	want.Payment = &struct {
		Token string `json:"token"`
	}{"t"}
	dst, p := decodeOrder(t, `{"name":"n","items":[{"sku":"a","quantity":1}],"payment":{"token":"t"},"notes":{"Any":"Case"},"Untagged":"u"}`)
	if p != nil || !reflect.DeepEqual(dst, want) {
		t.Fatalf("exact names: %v %+v", p, dst)
	}
}

// A client that sends the headers and then stalls its body gets a 408 when
// the server's read timeout passes, not a 400 naming the server's sockets.
func TestDecodeJSONSlowBodyIsRequestTimeout(t *testing.T) {
	srv := NewServer("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var dst sample
		if p := DecodeJSON(w, r, &dst); p != nil {
			WriteProblem(w, r, p)
		}
	}))
	srv.ReadTimeout = 300 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestTimeout || p.Status != http.StatusRequestTimeout ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %+v", resp.StatusCode, p)
	}
	if strings.Contains(p.Detail, "127.0.0.1") || strings.Contains(p.Detail, "tcp") || strings.Contains(p.Detail, "timeout") {
		t.Fatalf("detail names internals: %q", p.Detail)
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
