package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// The testdata files are what the local stack's Jaeger (v2, `make run`)
// answered to GET /api/traces?service=orderflow-api&tags={"temporalWorkflowID":"order-<id>"}:
// for an order that waited for an admin's approval (its own trace and the
// approve request's, which also names the workflow), and for an order whose
// card was declined.
const (
	approvedOrder = "order-01a23af8-2791-7a7a-a320-4fd91b67b6c4"
	declinedOrder = "order-01a23af7-ee2e-7aee-9798-03c4a56e215e"
)

// jaeger serves file as Jaeger's query service would, and records the
// query it was asked.
func jaeger(t *testing.T, file string) (*TraceStore, *http.Request) {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	asked := &http.Request{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*asked = *r.Clone(context.Background())
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return store(t, srv.URL), asked
}

func store(t *testing.T, url string) *TraceStore {
	t.Helper()
	s, err := NewTraceStore(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func spanNamed(t *testing.T, tr Trace, name string) Span {
	t.Helper()
	for _, s := range tr.Spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("trace %s has no span %q", tr.TraceID, name)
	return Span{}
}

// Of the traces that name the workflow, Find picks the one that started it,
// not the later approval's, and converts Jaeger's spans: parents,
// services from the processes, times, kinds and attributes.
func TestTraceStoreFindsTheFirstTrace(t *testing.T) {
	s, asked := jaeger(t, "testdata/jaeger-traces-approved-order.json")
	since := time.Date(2026, 12, 3, 8, 13, 31, 0, time.UTC)
	tr, err := s.Find(context.Background(), TraceQuery{
		Service: "orderflow-api", Tags: map[string]string{"temporalWorkflowID": approvedOrder},
		Since: since, Until: since.Add(2 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}

	q := asked.URL.Query()
	if asked.URL.Path != "/api/traces" || q.Get("service") != "orderflow-api" || q.Get("limit") != "20" ||
		q.Get("start") != "1796285611000000" || q.Get("end") != "1796285731000000" {
		t.Errorf("asked %s", asked.URL)
	}
	var tags map[string]string
	if err := json.Unmarshal([]byte(q.Get("tags")), &tags); err != nil || tags["temporalWorkflowID"] != approvedOrder {
		t.Errorf("tags=%q: want the workflow ID as JSON", q.Get("tags"))
	}

	if tr.TraceID != "1bcd7810b7f3974dd250ffc5944a7e1d" || len(tr.Spans) != 142 {
		t.Fatalf("found trace %s with %d spans, want the order's own, 1bcd7810b7f3974dd250ffc5944a7e1d with 142", tr.TraceID, len(tr.Spans))
	}
	for i := 1; i < len(tr.Spans); i++ {
		if tr.Spans[i].Start.Before(tr.Spans[i-1].Start) {
			t.Fatalf("span %d starts before span %d: want them by start time", i, i-1)
		}
	}
	root := tr.Spans[0]
	if root.Name != "POST /api/orders" || root.ParentSpanID != "" || root.Service != "orderflow-api" || root.Kind != "server" ||
		!root.Start.Equal(time.UnixMicro(1796285671312684)) || root.Duration != 17974*time.Microsecond ||
		root.Attributes["http.route"] != "/api/orders" || root.Attributes["http.response.status_code"] != "202" || root.Error {
		t.Errorf("root span: %+v", root)
	}
	start := spanNamed(t, tr, "StartWorkflow:OrderWorkflow")
	run := spanNamed(t, tr, "RunWorkflow:OrderWorkflow")
	if start.ParentSpanID != root.SpanID || run.ParentSpanID != start.SpanID || run.Service != "orderflow-worker-orders" ||
		run.Attributes["temporalWorkflowID"] != approvedOrder {
		t.Errorf("the workflow's spans: %+v, %+v", start, run)
	}
	for _, kind := range []string{"span.kind", "error", "otel.status_code", "otel.status_description"} {
		if _, kept := run.Attributes[kind]; kept {
			t.Errorf("%s is kept among the attributes; it is a field", kind)
		}
	}
	services := map[string]bool{}
	for _, s := range tr.Spans {
		services[s.Service] = true
	}
	if len(services) != 4 {
		t.Errorf("services %v: want the api and the three workers", services)
	}
}

// Failed spans are errors with their status description, or the message
// of the exception they recorded; an HTTP client span's error has neither.
func TestTraceStoreReportsErrors(t *testing.T) {
	s, _ := jaeger(t, "testdata/jaeger-traces-declined-order.json")
	tr, err := s.Find(context.Background(), TraceQuery{Service: "orderflow-api", Tags: map[string]string{"temporalWorkflowID": declinedOrder}})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, s := range tr.Spans {
		if s.Error {
			failed = append(failed, s.Name)
		}
	}
	if strings.Join(failed, ",") != "RunActivity:AuthorizePayment,payments POST" {
		t.Errorf("failed spans %v", failed)
	}
	authorize := spanNamed(t, tr, "RunActivity:AuthorizePayment")
	if !strings.HasPrefix(authorize.StatusMessage, "Your card was declined.") || authorize.Attributes["temporalActivityID"] == "" {
		t.Errorf("the declined authorization: %+v", authorize)
	}
	if gateway := spanNamed(t, tr, "payments POST"); gateway.Attributes["http.response.status_code"] != "402" || gateway.Kind != "client" {
		t.Errorf("the gateway call: %+v", gateway)
	}
}

// Jaeger answers an empty list for no match, a problem in its errors, and
// a proxy in front of it answers anything: each is told apart, and nothing
// hangs or is read without bound.
func TestTraceStoreFailures(t *testing.T) {
	serve := func(status int, body string, delay time.Duration) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
			w.WriteHeader(status)
			w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	// Port 1 (tcpmux) has no listener here: a closed test server's port
	// may be taken by another package's server before the call is made.
	const nobody = "http://127.0.0.1:1"
	q := TraceQuery{Service: "orderflow-api", Tags: map[string]string{"temporalWorkflowID": "order-x"}}
	for _, tt := range []struct {
		name     string
		url      string
		notFound bool
		says     string
	}{
		{"no trace", serve(200, `{"data":[],"total":0,"limit":0,"offset":0,"errors":null}`, 0), true, ""},
		{"no data", serve(200, `{"data":null,"total":0,"limit":0,"offset":0,"errors":null}`, 0), true, ""},
		{"a trace without spans", serve(200, `{"data":[{"traceID":"ab","spans":[],"processes":{}}],"errors":null}`, 0), true, ""},
		{"a refused query", serve(400, `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"parameter 'service' is required"}]}`, 0), false, "parameter 'service' is required"},
		{"a proxy's error page", serve(502, `<html>Bad Gateway</html>`, 0), false, "502"},
		{"errors in a 200", serve(200, `{"data":null,"errors":[{"code":500,"msg":"storage down"}]}`, 0), false, "storage down"},
		{"too slow", serve(200, `{"data":[]}`, time.Second), false, "deadline exceeded"},
		{"too big", serve(200, `{"data":[`+strings.Repeat(" ", 2000)+`]}`, 0), false, "over 1024 bytes"},
		{"nobody there", nobody, false, "connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := store(t, tt.url)
			s.Timeout, s.MaxBytes = 200*time.Millisecond, 1024
			_, err := s.Find(context.Background(), q)
			switch {
			case tt.notFound && !errors.Is(err, ErrTraceNotFound):
				t.Fatalf("err = %v, want ErrTraceNotFound", err)
			case !tt.notFound && (err == nil || errors.Is(err, ErrTraceNotFound) || !strings.Contains(err.Error(), tt.says)):
				t.Fatalf("err = %v, want an error that says %q", err, tt.says)
			}
		})
	}
}

func TestNewTraceStoreWantsAnHTTPURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:16686", "ftp://jaeger:16686", "http://"} {
		if _, err := NewTraceStore(u); err == nil {
			t.Errorf("NewTraceStore(%q) took it", u)
		}
	}
}
