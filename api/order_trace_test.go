package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/telemetry"
)

// Without a trace store the endpoint says tracing is not configured: a 503
// problem, before it reads anything.
func TestOrderTraceNotConfigured(t *testing.T) {
	keys, err := auth.ParseKeys("test-1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	admin, err := keys.Issue(auth.Principal{UserID: uuid.NewString(), Role: auth.RoleAdmin}, time.Now(), time.Minute)
	require.NoError(t, err)
	h := (&Server{Logger: slog.New(slog.DiscardHandler), Keys: keys}).Handler()

	req := httptest.NewRequest(http.MethodGet, "/api/orders/"+uuid.NewString()+"/trace", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), "tracing is not configured")
	assert.Contains(t, rec.Body.String(), "TRACES_QUERY_URL")
}

// The order of the recorded Jaeger answer (the approved order of
// internal/platform/telemetry's testdata).
var tracedOrder = orders.Order{
	ID: "01a23af8-2791-7a7a-a320-4fd91b67b6c4", WorkflowID: "order-01a23af8-2791-7a7a-a320-4fd91b67b6c4",
	CreatedAt: time.Date(2026, 12, 3, 8, 14, 31, 313687000, time.UTC),
}

// The trace a real Jaeger answer makes, through the real client: times from
// the trace's start, parents, kinds, only the attributes worth showing, and
// a body that fits the documented schema.
func TestOrderTraceFromJaeger(t *testing.T) {
	recorded, err := os.ReadFile("../internal/platform/telemetry/testdata/jaeger-traces-approved-order.json")
	require.NoError(t, err)
	var asked string
	jaeger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.RawQuery
		w.Write(recorded)
	}))
	defer jaeger.Close()
	store, err := telemetry.NewTraceStore(jaeger.URL)
	require.NoError(t, err)
	s := &Server{Logger: slog.New(slog.DiscardHandler), Traces: store, TraceService: "orderflow-api"}

	tr, err := s.orderTrace(context.Background(), tracedOrder)
	require.NoError(t, err)
	assert.Contains(t, asked, "service=orderflow-api")
	assert.Equal(t, "1bcd7810b7f3974dd250ffc5944a7e1d", tr.TraceId)
	require.Len(t, tr.Spans, 142)
	root := tr.Spans[0]
	assert.Equal(t, "POST /api/orders", root.Name)
	assert.Nil(t, root.ParentSpanId)
	assert.Equal(t, root.StartTime, tr.StartTime)
	assert.Zero(t, root.OffsetUs)
	assert.Equal(t, map[string]string{"http.request.method": "POST", "http.route": "/api/orders", "http.response.status_code": "202"}, *root.Attributes)
	require.NotNil(t, root.Kind)
	assert.Equal(t, SpanKindServer, *root.Kind)
	// The order waited about 3 s for its approval.
	assert.InDelta(t, 3.2e6, float64(tr.DurationUs), 0.1e6)

	byID := map[string]TraceSpan{}
	for _, sp := range tr.Spans {
		byID[sp.SpanId] = sp
		assert.Equal(t, sp.StartTime.Sub(tr.StartTime).Microseconds(), sp.OffsetUs, sp.Name)
		assert.LessOrEqual(t, sp.OffsetUs+sp.DurationUs, tr.DurationUs, sp.Name)
		if sp.Attributes != nil {
			for k := range *sp.Attributes {
				assert.Contains(t, traceAttributes, k, "%s: attribute %s is not one to show", sp.Name, k)
			}
		}
	}
	redis := 0
	for _, sp := range tr.Spans {
		if strings.HasPrefix(sp.Name, "redis.") {
			redis++
			require.NotNil(t, sp.Attributes, sp.Name)
			assert.Equal(t, "redis", (*sp.Attributes)["db.system.name"], "%s: db.system.name, from redisotel's db.system", sp.Name)
		}
		if sp.Name == "RunWorkflow:OrderWorkflow" {
			require.NotNil(t, sp.ParentSpanId)
			assert.Equal(t, "StartWorkflow:OrderWorkflow", byID[*sp.ParentSpanId].Name)
			assert.Equal(t, tracedOrder.WorkflowID, (*sp.Attributes)[workflowIDAttribute])
			assert.Equal(t, "orderflow-worker-orders", sp.Service)
		}
	}

	assert.Positive(t, redis, "the recorded trace has Redis commands")

	body, err := json.Marshal(tr)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(body, &v))
	assert.NoError(t, loadOpenAPI(t).Components.Schemas["OrderTrace"].Value.VisitJSON(v), "the answer against components.schemas.OrderTrace")
}

type finder func(telemetry.TraceQuery) (telemetry.Trace, error)

func (f finder) Find(_ context.Context, q telemetry.TraceQuery) (telemetry.Trace, error) { return f(q) }

// The order's spans are looked for by its workflow ID around its creation;
// no trace is a 404, a store that fails a 503 to retry, never a 500.
func TestOrderTraceProblems(t *testing.T) {
	var asked telemetry.TraceQuery
	for _, tt := range []struct {
		err    error
		status int
		says   string
	}{
		{telemetry.ErrTraceNotFound, http.StatusNotFound, "no trace of order"},
		{context.DeadlineExceeded, http.StatusServiceUnavailable, "the trace store did not answer"},
		{errors.New("trace store answered 500 Internal Server Error"), http.StatusServiceUnavailable, "the trace store did not answer"},
	} {
		s := &Server{Logger: slog.New(slog.DiscardHandler), TraceService: "orderflow-api", Traces: finder(func(q telemetry.TraceQuery) (telemetry.Trace, error) {
			asked = q
			return telemetry.Trace{}, tt.err
		})}
		_, err := s.orderTrace(context.Background(), tracedOrder)
		var p *httpx.Problem
		if !assert.True(t, errors.As(err, &p), "%v: want a problem, got %v", tt.err, err) {
			continue
		}
		assert.Equal(t, tt.status, p.Status, tt.err)
		assert.True(t, strings.Contains(p.Detail, tt.says), "%v: %q", tt.err, p.Detail)
		if tt.status == http.StatusServiceUnavailable {
			assert.Positive(t, p.RetryAfter, "a 503 says when to retry")
		}
	}
	assert.Equal(t, telemetry.TraceQuery{
		Service: "orderflow-api", Tags: map[string]string{"temporalWorkflowID": tracedOrder.WorkflowID},
		Since: tracedOrder.CreatedAt.Add(-time.Minute), Until: tracedOrder.CreatedAt.Add(time.Minute),
	}, asked)
}
