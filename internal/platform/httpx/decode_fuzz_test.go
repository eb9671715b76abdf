package httpx

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type fuzzTarget struct {
	Name   string            `json:"name"`
	Count  int               `json:"count"`
	Tags   []string          `json:"tags"`
	Labels map[string]string `json:"labels"`
	Nested *struct {
		Price float64 `json:"price"`
		OK    bool    `json:"ok"`
	} `json:"nested"`
}

func (v fuzzTarget) hasNUL() bool {
	texts := append([]string{v.Name}, v.Tags...)
	for k, l := range v.Labels {
		texts = append(texts, k, l)
	}
	return slices.ContainsFunc(texts, func(s string) bool { return strings.ContainsRune(s, 0) })
}

// FuzzDecodeJSON: whatever a client sends, DecodeJSON never panics, refuses
// with a 4xx problem (never a 5xx), and what it accepts holds no NUL and
// re-encodes and decodes back to the same value. Seeds: f.Add below and
// testdata/fuzz/FuzzDecodeJSON.
func FuzzDecodeJSON(f *testing.F) {
	f.Add("application/json", []byte(`{"name":"a","count":2,"tags":["x"],"labels":{"k":"v"},"nested":{"price":1.5,"ok":true}}`))
	f.Add("application/json; charset=utf-8", []byte(`{"count":1e400}`))
	f.Add("application/merge-patch+json", []byte(`{"name":"\ud800"}`))
	f.Add("", []byte(`{"name":"a"} {"name":"b"}`))
	f.Add("text/plain", []byte(`{}`))
	f.Add("application/json", []byte(`{"unknown":1}`))
	f.Add("application/json", []byte(`[1,2]`))
	f.Add("application/json", []byte(`null`))
	f.Add("application/json;;", []byte(`{"nested":{"price":"x"}}`))
	f.Add("application/json", []byte(`{"Name":"a","nested":{"Price":1}}`))
	f.Add("application/json", []byte(`{"tags":["a\u0000"],"labels":{"k\u0000":"v"}}`))
	f.Add("application/json", []byte(`{"name":"a\\u0000"}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		var dst fuzzTarget
		if p := DecodeJSON(httptest.NewRecorder(), r, &dst); p != nil {
			if p.Status < 400 || p.Status > 499 || p.Detail == "" {
				t.Fatalf("problem %d %q for %q", p.Status, p.Detail, body)
			}
			return
		}
		if dst.hasNUL() {
			t.Fatalf("accepted %q, which holds a NUL: %+v", body, dst)
		}
		again, err := json.Marshal(dst)
		if err != nil {
			t.Fatalf("accepted %q, which does not re-encode: %v", body, err)
		}
		var back fuzzTarget
		r = httptest.NewRequest("POST", "/", bytes.NewReader(again))
		if p := DecodeJSON(httptest.NewRecorder(), r, &back); p != nil || !reflect.DeepEqual(back, dst) {
			t.Fatalf("re-encoded %s decodes to %+v (%v), want %+v", again, back, p, dst)
		}
	})
}
