package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// TraceStore reads traces back from a Jaeger query service through its HTTP
// API: /api/traces, the JSON that Jaeger v1 serves and v2 still does. Its
// calls are not traced themselves, so that looking at a trace leaves none.
type TraceStore struct {
	base *url.URL
	// Timeout bounds each call; MaxBytes the answer it reads.
	Timeout  time.Duration
	MaxBytes int64
	client   *http.Client
}

// Defaults of NewTraceStore.
const (
	TraceStoreTimeout  = 5 * time.Second
	TraceStoreMaxBytes = 8 << 20
	// traceSearchLimit is how many traces a search returns at most.
	traceSearchLimit = 20
)

// ErrTraceNotFound is the answer of Find when no trace matches.
var ErrTraceNotFound = errors.New("no trace found")

// NewTraceStore returns the client of the Jaeger query service at baseURL
// (such as http://127.0.0.1:16686).
func NewTraceStore(baseURL string) (*TraceStore, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("trace store %q: want an http(s) URL such as http://127.0.0.1:16686", baseURL)
	}
	return &TraceStore{base: u, Timeout: TraceStoreTimeout, MaxBytes: TraceStoreMaxBytes, client: &http.Client{}}, nil
}

// TraceQuery selects traces: those with a span of Service that carries every
// one of Tags and started between Since and Until (zero: now).
type TraceQuery struct {
	Service      string
	Tags         map[string]string
	Since, Until time.Time
}

// Trace is a trace as Find answers it: its spans by start time.
type Trace struct {
	TraceID string
	Spans   []Span
}

// Span is one span of a Trace.
type Span struct {
	SpanID       string
	ParentSpanID string // "" for a root
	Name         string
	Service      string
	Kind         string // client, server, producer, consumer, internal; "" when not said
	Start        time.Time
	Duration     time.Duration
	// Error is the span's error status, StatusMessage its description (or
	// the message of the exception it recorded).
	Error         bool
	StatusMessage string
	// Attributes are the span's other attributes, as text.
	Attributes map[string]string
}

// Find returns the trace that began first among those q selects: a workflow
// is named by the trace that started it and by the later requests that
// signalled or updated it, each a trace of its own. It is ErrTraceNotFound
// when none matches.
func (s *TraceStore) Find(ctx context.Context, q TraceQuery) (Trace, error) {
	tags, err := json.Marshal(q.Tags)
	if err != nil {
		return Trace{}, err
	}
	params := url.Values{"service": {q.Service}, "tags": {string(tags)}, "limit": {strconv.Itoa(traceSearchLimit)}}
	if !q.Since.IsZero() {
		params.Set("start", strconv.FormatInt(q.Since.UnixMicro(), 10))
	}
	if !q.Until.IsZero() {
		params.Set("end", strconv.FormatInt(q.Until.UnixMicro(), 10))
	}
	var found []jaegerTrace
	if err := s.get(ctx, "/api/traces", params, &found); err != nil {
		return Trace{}, err
	}
	var first *Trace
	for _, jt := range found {
		if t := jt.trace(); len(t.Spans) > 0 && (first == nil || t.Spans[0].Start.Before(first.Spans[0].Start)) {
			first = &t
		}
	}
	if first == nil {
		return Trace{}, ErrTraceNotFound
	}
	return *first, nil
}

// get calls the query API and decodes the data of its answer into data.
func (s *TraceStore) get(ctx context.Context, path string, params url.Values, data any) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	u := s.base.JoinPath(path)
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("trace store: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.MaxBytes+1))
	if err != nil {
		return fmt.Errorf("trace store: reading its answer: %w", err)
	}
	if int64(len(body)) > s.MaxBytes {
		return fmt.Errorf("trace store: its answer is over %d bytes", s.MaxBytes)
	}
	var answer struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return fmt.Errorf("trace store answered %s, not Jaeger's JSON: %w", resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK || len(answer.Errors) > 0 {
		msg := resp.Status
		if len(answer.Errors) > 0 {
			msg += ": " + answer.Errors[0].Msg
		}
		return errors.New("trace store answered " + msg)
	}
	if len(answer.Data) == 0 || string(answer.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(answer.Data, data); err != nil {
		return fmt.Errorf("trace store: unexpected data: %w", err)
	}
	return nil
}

// jaegerTrace is a trace in Jaeger's v1 JSON (model/json in Jaeger): spans
// with tags, references and logs, their processes (the services) apart.
type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		References    []struct {
			RefType string `json:"refType"`
			TraceID string `json:"traceID"`
			SpanID  string `json:"spanID"`
		} `json:"references"`
		StartTime int64       `json:"startTime"` // microseconds since the epoch
		Duration  int64       `json:"duration"`  // microseconds
		Tags      []jaegerTag `json:"tags"`
		Logs      []jaegerLog `json:"logs"` // the span's events
		ProcessID string      `json:"processID"`
	} `json:"spans"`
	Processes map[string]struct {
		ServiceName string `json:"serviceName"`
	} `json:"processes"`
}

type jaegerLog struct {
	Fields []jaegerTag `json:"fields"`
}

type jaegerTag struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// text is the tag's value as text: strings as they are, numbers and
// booleans as JSON writes them.
func (t jaegerTag) text() string {
	var s string
	if json.Unmarshal(t.Value, &s) == nil {
		return s
	}
	return string(t.Value)
}

// trace converts t. Jaeger writes OpenTelemetry's span kind and status as
// the tags span.kind, otel.status_code, otel.status_description and error.
func (t jaegerTrace) trace() Trace {
	out := Trace{TraceID: t.TraceID, Spans: make([]Span, 0, len(t.Spans))}
	for _, js := range t.Spans {
		s := Span{
			SpanID: js.SpanID, Name: js.OperationName, Service: t.Processes[js.ProcessID].ServiceName,
			Start: time.UnixMicro(js.StartTime).UTC(), Duration: time.Duration(js.Duration) * time.Microsecond,
			Attributes: map[string]string{},
		}
		// The parent is the first CHILD_OF; FOLLOWS_FROM are links.
		for _, ref := range js.References {
			if ref.RefType == "CHILD_OF" && ref.TraceID == t.TraceID {
				s.ParentSpanID = ref.SpanID
				break
			}
		}
		for _, tag := range js.Tags {
			switch v := tag.text(); tag.Key {
			case "span.kind":
				s.Kind = v
			case "error":
				s.Error = s.Error || v == "true"
			case "otel.status_code":
				s.Error = s.Error || v == "ERROR"
			case "otel.status_description":
				s.StatusMessage = v
			default:
				s.Attributes[tag.Key] = v
			}
		}
		if s.Error && s.StatusMessage == "" {
			s.StatusMessage = exceptionMessage(js.Logs)
		}
		out.Spans = append(out.Spans, s)
	}
	slices.SortStableFunc(out.Spans, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}

// exceptionMessage is the message of the last exception among a span's
// events, or "".
func exceptionMessage(logs []jaegerLog) string {
	msg := ""
	for _, l := range logs {
		for _, f := range l.Fields {
			if f.Key == "exception.message" {
				msg = f.text()
			}
		}
	}
	return msg
}
