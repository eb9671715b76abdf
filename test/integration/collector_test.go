package integration

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector receives the roles' spans as an OpenTelemetry collector would:
// OTLP over HTTP with protobuf bodies, from the in-process roles and the
// worker processes alike (runMain points OTEL_EXPORTER_OTLP_ENDPOINT here).
type collector struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []receivedSpan
}

// receivedSpan is one span and the service that sent it.
type receivedSpan struct {
	Service string
	*tracepb.Span
}

func (s receivedSpan) traceID() string { return hex.EncodeToString(s.TraceId) }

func startCollector() *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(c.export))
	return c
}

func (c *collector) export(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if r.URL.Path != "/v1/traces" || err != nil {
		http.Error(w, "want an OTLP trace export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, attr := range rs.GetResource().GetAttributes() {
			if attr.Key == "service.name" {
				service = attr.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, span := range ss.Spans {
				c.spans = append(c.spans, receivedSpan{Service: service, Span: span})
			}
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// trace returns the spans received so far of one trace.
func (c *collector) trace(traceID string) []receivedSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []receivedSpan
	for _, s := range c.spans {
		if s.traceID() == traceID {
			out = append(out, s)
		}
	}
	return out
}
