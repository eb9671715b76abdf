package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/ratelimit"
)

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPIJSON)
	require.NoError(t, err, "openapi.yaml does not parse as an OpenAPI document")
	// Validate checks the structure, every $ref, and the examples against
	// their schemas.
	require.NoError(t, doc.Validate(context.Background(), openapi3.EnableExamplesValidation()), "openapi.yaml is not a valid OpenAPI document")
	return doc
}

// servedOperations walks the router that Handler really builds and returns
// its "METHOD /path/{template}" operations. Nothing is called: the
// dependencies can stay nil.
func servedOperations(t *testing.T) map[string]bool {
	t.Helper()
	root := (&Server{Logger: slog.New(slog.DiscardHandler)}).routes()

	ops := map[string]bool{}
	err := root.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil // a subrouter's path prefix
		}
		tpl, err := route.GetPathTemplate()
		if err != nil {
			t.Errorf("a route has no path template: %v", err)
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			t.Errorf("route %s answers every method: give it Methods(...) and document them", tpl)
			return nil
		}
		for _, m := range methods {
			ops[m+" "+muxVarPattern.ReplaceAllString(tpl, "{$1}")] = true
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, ops)
	return ops
}

// muxVarPattern drops a mux variable's regexp ({id:[0-9]+} is {id} in OpenAPI).
var muxVarPattern = regexp.MustCompile(`\{([^}:]+):[^}]*\}`)

type operation struct {
	key  string // "GET /api/orders"
	path *openapi3.PathItem
	op   *openapi3.Operation
}

func documentedOperations(doc *openapi3.T) []operation {
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{key: method + " " + path, path: item, op: op})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].key < ops[j].key })
	return ops
}

// TestOpenAPIMatchesRoutes: every route the server registers is documented
// (requireAccess refuses the others), and every documented operation is
// served: the generated ones by construction, the hand-served ones (probes,
// metrics, webhooks, this document) by their own registrations.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	served := servedOperations(t)
	documented := map[string]bool{}
	for _, o := range documentedOperations(doc) {
		documented[o.key] = true
	}
	for _, op := range sortedKeys(served) {
		if !documented[op] {
			t.Errorf("%s is served but not documented in api/openapi.yaml", op)
		}
	}
	for _, op := range sortedKeys(documented) {
		if !served[op] {
			t.Errorf("%s is documented in api/openapi.yaml but Handler serves no such route", op)
		}
	}
}

// errorContentExceptions are error responses whose body is not a problem.
var errorContentExceptions = map[string]bool{
	"GET /readyz 503": true, // the readiness report, with each check's state
}

// lenientBodies are request bodies the API does not decode strictly: the
// providers' callbacks, which carry more than the API reads, and the codec
// server's payloads, whose metadata is a map of any keys.
var lenientBodies = map[string]bool{
	"POST /webhooks/sendgrid": true,
	"POST /webhooks/twilio":   true,
	"POST /webhooks/carrier":  true,
	"POST /codec/encode":      true,
	"POST /codec/decode":      true,
}

// TestOpenAPIOperations checks what every operation must document: an
// operation ID, the X-Request-ID header out, a 4xx problem where it
// takes input, problem+json for errors, strict JSON bodies.
func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	ids := map[string]string{}
	for _, o := range documentedOperations(doc) {
		if o.op.OperationID == "" {
			t.Errorf("%s has no operationId", o.key)
		} else if other, dup := ids[o.op.OperationID]; dup {
			t.Errorf("%s and %s share operationId %q", o.key, other, o.op.OperationID)
		}
		ids[o.op.OperationID] = o.key

		params := append(slices.Clone(o.path.Parameters), o.op.Parameters...)
		takesInput := o.op.RequestBody != nil
		for _, p := range params {
			// X-Request-ID is described once, in info: as a parameter, the
			// generated server would refuse a request that repeats it.
			if p.Value.In == openapi3.ParameterInHeader && p.Value.Name == httpx.RequestIDHeader {
				t.Errorf("%s documents %s as a parameter", o.key, httpx.RequestIDHeader)
			}
			if p.Value.In != openapi3.ParameterInHeader || p.Value.Required {
				takesInput = true
			}
		}

		has4xx := false
		for code, resp := range o.op.Responses.Map() {
			key := o.key + " " + code
			status, err := strconv.Atoi(code)
			if err != nil {
				t.Errorf("%s: document an explicit status code", key)
				continue
			}
			if resp.Value.Headers[httpx.RequestIDHeader] == nil {
				t.Errorf("%s does not document the %s response header", key, httpx.RequestIDHeader)
			}
			if status < 400 || errorContentExceptions[key] || strings.HasPrefix(o.key, http.MethodHead+" ") {
				continue
			}
			has4xx = has4xx || status < 500
			if len(resp.Value.Content) != 1 || resp.Value.Content["application/problem+json"] == nil {
				t.Errorf("%s: an error answers application/problem+json, and only that", key)
				continue
			}
			if s := resp.Value.Content["application/problem+json"].Schema; s == nil || s.Ref != "#/components/schemas/Problem" {
				t.Errorf("%s: an error's schema is #/components/schemas/Problem", key)
			}
		}
		if takesInput && !has4xx {
			t.Errorf("%s takes input but documents no 4xx problem response", o.key)
		}

		if o.op.RequestBody != nil && !lenientBodies[o.key] {
			mt := o.op.RequestBody.Value.Content["application/json"]
			if mt == nil || mt.Schema == nil {
				t.Errorf("%s: document its application/json request body", o.key)
				continue
			}
			requireStrict(t, o.key+" body", mt.Schema.Value)
		}
	}
}

// requireStrict fails unless every object in s refuses unknown properties,
// as httpx.DecodeJSON does.
func requireStrict(t *testing.T, where string, s *openapi3.Schema) {
	t.Helper()
	if s.Type.Is(openapi3.TypeObject) {
		if ap := s.AdditionalProperties; ap.Has == nil || *ap.Has || ap.Schema != nil {
			t.Errorf("%s: set additionalProperties to false: the decoder refuses unknown fields", where)
		}
		for name, p := range s.Properties {
			requireStrict(t, where+"."+name, p.Value)
		}
	}
	if s.Items != nil {
		requireStrict(t, where+"[]", s.Items.Value)
	}
}

// TestOpenAPIEnumsMatchConstants: the documented enums are the constants the
// code uses, read from the source so that a new one cannot be missed.
func TestOpenAPIEnumsMatchConstants(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, c := range []struct{ schema, file, block string }{
		{"OrderStatus", "../internal/domain/orders/types.go", "Order statuses"},
		{"StepStatus", "../workflows/order_types.go", "Step statuses"},
		{"NotificationStatus", "../internal/domain/notifications/types.go", "Notification statuses"},
		{"Channel", "../internal/domain/notifications/types.go", "Notification channels"},
		{"ReservationStatus", "../internal/domain/inventory/store.go", "Reservation statuses"},
		{"LedgerEventKind", "../internal/domain/inventory/ledger.go", "Ledger event kinds"},
		{"AttemptStatus", "../internal/domain/notifications/attempts.go", "Attempt statuses"},
		{"DeliveryState", "../internal/domain/notifications/delivery.go", "Delivery states"},
		{"RiskLevel", "../internal/domain/risk/rules.go", "Levels"},
		{"RefundStatus", "../internal/domain/orders/refunds.go", "Refund statuses"},
		{"ShipmentStatus", "../internal/domain/orders/shipments.go", "Shipment statuses"},
		{"ReturnStatus", "../internal/domain/orders/returns.go", "Return statuses"},
		{"Role", "../internal/domain/users/users.go", "Roles"},
		{"Role", "../internal/platform/auth/tokens.go", "Roles a token may carry"},
	} {
		s := doc.Components.Schemas[c.schema]
		if !assert.NotNil(t, s, "schema %s is missing", c.schema) {
			continue
		}
		assert.ElementsMatch(t, constStrings(t, c.file, c.block), enumStrings(s.Value),
			"components.schemas.%s.enum against the %q constants of %s", c.schema, c.block, c.file)
	}

	// What the code validates and reports agrees too.
	orderStatus := enumStrings(doc.Components.Schemas["OrderStatus"].Value)
	assert.ElementsMatch(t, orders.Statuses, toStatuses(orderStatus), "orders.Statuses against components.schemas.OrderStatus")
	filter := doc.Paths.Find("/api/orders").Get.Parameters.GetByInAndName(openapi3.ParameterInQuery, "status")
	require.NotNil(t, filter, "GET /api/orders documents no status filter")
	assert.ElementsMatch(t, orderStatus, enumStrings(filter.Schema.Value), "GET /api/orders?status= against OrderStatus")
	assert.ElementsMatch(t, preferenceChannels, enumStrings(doc.Components.Schemas["PreferenceChannel"].Value),
		"preferenceChannels against components.schemas.PreferenceChannel")
}

func toStatuses(names []string) []orders.Status {
	out := make([]orders.Status, len(names))
	for i, n := range names {
		out[i] = orders.Status(n)
	}
	return out
}

func enumStrings(s *openapi3.Schema) []string {
	out := make([]string, 0, len(s.Enum))
	for _, v := range s.Enum {
		str, _ := v.(string)
		out = append(out, str)
	}
	return out
}

// constStrings returns the string constants of the const block in file whose
// doc comment starts with block.
func constStrings(t *testing.T, file, block string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ParseComments)
	require.NoError(t, err)
	var out []string
	found := false
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST || gd.Doc == nil || !strings.HasPrefix(gd.Doc.Text(), block) {
			continue
		}
		found = true
		for _, spec := range gd.Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out = append(out, s)
				}
			}
		}
	}
	require.True(t, found, "%s has no const block documented %q", file, block)
	require.NotEmpty(t, out, "the %q block of %s holds no string constants", block, file)
	return out
}

// TestOpenAPIServed: GET /api/openapi.json through the real router answers
// the embedded document as cacheable JSON, and 304 for its ETag.
func TestOpenAPIServed(t *testing.T) {
	h := (&Server{Logger: slog.New(slog.DiscardHandler)}).Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.NotEmpty(t, rec.Header().Get("Cache-Control"))
	assert.NotEmpty(t, rec.Header().Get(httpx.RequestIDHeader))
	assert.Equal(t, openAPIJSON, rec.Body.Bytes())
	etag := rec.Header().Get("ETag")
	require.NotEmpty(t, etag)

	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil)
	req.Header.Set("If-None-Match", etag)
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusNotModified, rec.Code)
	assert.Empty(t, rec.Body.Bytes())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/openapi.json", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// rateLimitHeaders are the headers ratelimit.Middleware sets on every /api
// response it decides on.
var rateLimitHeaders = []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"}

// refusingStore is a ratelimit.Store that refuses every request.
type refusingStore struct{ calls int }

func (s *refusingStore) Allow(context.Context, string) (ratelimit.Result, error) {
	s.calls++
	return ratelimit.Result{Limit: 600, Window: time.Minute, RetryAfter: 1500 * time.Millisecond, ResetAfter: time.Minute}, nil
}

// TestOpenAPIRateLimit: every /api operation documents the 429 of the rate
// limit, as #/components/responses/TooManyRequests, and the RateLimit-*
// headers on each of its responses; the webhooks, probes and metrics, which
// are not limited, document neither. The 429 the real handler answers has
// the documented headers, with values their schemas accept, and body.
func TestOpenAPIRateLimit(t *testing.T) {
	doc := loadOpenAPI(t)
	tooMany := doc.Components.Responses["TooManyRequests"]
	require.NotNil(t, tooMany, "components.responses.TooManyRequests is missing")

	store := &refusingStore{}
	h := (&Server{Logger: slog.New(slog.DiscardHandler), RateLimit: store}).Handler()
	for _, o := range documentedOperations(doc) {
		method, path, _ := strings.Cut(o.key, " ")
		resp429 := o.op.Responses.Value("429")
		if !httpx.IsAPIPath(path) {
			if resp429 != nil {
				t.Errorf("%s is not rate limited: document no 429", o.key)
			}
			for code, resp := range o.op.Responses.Map() {
				for _, name := range append(slices.Clone(rateLimitHeaders), "Retry-After") {
					if resp.Value.Headers[name] != nil {
						t.Errorf("%s %s: not rate limited, so no %s header", o.key, code, name)
					}
				}
			}
			continue
		}

		if resp429 == nil || resp429.Ref != "#/components/responses/TooManyRequests" {
			t.Errorf("%s: document 429 as #/components/responses/TooManyRequests", o.key)
		}
		for code, resp := range o.op.Responses.Map() {
			for _, name := range rateLimitHeaders {
				if hd := resp.Value.Headers[name]; hd == nil || hd.Ref != "#/components/headers/"+strings.ReplaceAll(name, "-", "") {
					t.Errorf("%s %s: document the %s header (#/components/headers/%s)", o.key, code, name, strings.ReplaceAll(name, "-", ""))
				}
			}
		}

		// The limit answers before routing, so the path's variables need
		// no real values and the nil dependencies are never reached.
		calls := store.calls
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		if !assert.Equal(t, http.StatusTooManyRequests, rec.Code, "%s over the limit", o.key) {
			continue
		}
		assert.Equal(t, calls+1, store.calls, "%s: one decision per request", o.key)
		assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"), o.key)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), o.key)
		assert.NotEmpty(t, rec.Header().Get(httpx.RequestIDHeader), o.key)
		for _, name := range append(slices.Clone(rateLimitHeaders), "Retry-After") {
			hd := tooMany.Value.Headers[name]
			got := rec.Header().Get(name)
			if !assert.NotNil(t, hd, "TooManyRequests does not document %s", name) ||
				!assert.NotEmpty(t, got, "%s: the 429 has no %s", o.key, name) {
				continue
			}
			var v any = got
			if hd.Value.Schema.Value.Type.Is(openapi3.TypeInteger) {
				n, err := strconv.Atoi(got)
				if !assert.NoError(t, err, "%s: %s: %q", o.key, name, got) {
					continue
				}
				v = float64(n)
			}
			assert.NoError(t, hd.Value.Schema.Value.VisitJSON(v), "%s: %s: %q against its schema", o.key, name, got)
		}
		var body map[string]any
		if assert.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), o.key) {
			assert.NoError(t, doc.Components.Schemas["Problem"].Value.VisitJSON(body), "%s: the 429's body against Problem", o.key)
			assert.EqualValues(t, http.StatusTooManyRequests, body["status"], o.key)
		}
	}
	for name, hd := range tooMany.Value.Headers {
		if name != httpx.RequestIDHeader && name != "Retry-After" && !slices.Contains(rateLimitHeaders, name) {
			t.Errorf("TooManyRequests documents %s, which the limit does not set (%v)", name, hd.Ref)
		}
	}

	// The limit counts only /api: the unlimited paths never reach the store.
	calls := store.calls
	for _, path := range []string{TwilioWebhookPath, SendGridWebhookPath} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.NotEqual(t, http.StatusTooManyRequests, rec.Code, path)
		assert.Empty(t, rec.Header().Get("RateLimit-Limit"), path)
	}
	assert.Equal(t, calls, store.calls, "the limit decided on an unlimited path")
}

// accessExtension is how the document marks who may call each operation:
// the name of its auth.Access level ("public", "signed-in" or "admin"), as
// the route's handle(...) call gives it.
const accessExtension = "x-orderflow-access"

// documentedAccess returns the access level o documents.
func documentedAccess(t *testing.T, o operation) (auth.Access, bool) {
	t.Helper()
	name, _ := o.op.Extensions[accessExtension].(string)
	for _, a := range []auth.Access{auth.Public, auth.Signed, auth.Admin} {
		if a.String() == name {
			return a, true
		}
	}
	t.Errorf("%s: set %s to %s, %s or %s", o.key, accessExtension, auth.Public, auth.Signed, auth.Admin)
	return 0, false
}

// pathVariable is a {variable} of a path template.
var pathVariable = regexp.MustCompile(`\{[^}]+\}`)

// TestOpenAPIAccess: every operation documents who may call it, consistently
// (a public one has "security": [], a signed-in or admin one the document's
// bearerAuth and the 401 of a missing token, an admin one also the 403 of a
// customer's token), and the code enforces what is documented: without a
// token a secured operation answers 401 with a WWW-Authenticate challenge, a
// customer's token gets 403 from an admin operation, and the callers who
// may call an operation are let through.
func TestOpenAPIAccess(t *testing.T) {
	doc := loadOpenAPI(t)
	scheme := doc.Components.SecuritySchemes["bearerAuth"]
	require.NotNil(t, scheme, "components.securitySchemes.bearerAuth is missing")
	assert.Equal(t, "http", scheme.Value.Type)
	assert.Equal(t, "bearer", scheme.Value.Scheme)
	assert.Equal(t, "JWT", scheme.Value.BearerFormat)
	require.Equal(t, openapi3.SecurityRequirements{{"bearerAuth": {}}}, doc.Security,
		"the document's security is bearerAuth, which public operations override")
	unauthorized := doc.Components.Responses["Unauthorized"]
	require.NotNil(t, unauthorized, "components.responses.Unauthorized is missing")
	assert.NotNil(t, unauthorized.Value.Headers["WWW-Authenticate"], "the 401 of a missing token documents WWW-Authenticate")

	keys, err := auth.ParseKeys("test-1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	token := func(role string) string {
		tok, err := keys.Issue(auth.Principal{UserID: uuid.NewString(), Role: role}, time.Now(), time.Minute)
		require.NoError(t, err)
		return tok
	}
	customer, admin := token(auth.RoleCustomer), token(auth.RoleAdmin)

	// The stores are nil: a request that auth lets through may reach one,
	// and httpx.Observe answers the panic 500, which is not a refusal.
	h := (&Server{Logger: slog.New(slog.DiscardHandler), Keys: keys}).Handler()
	call := func(method, path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	// challenged is auth's refusal of a missing or invalid token; a
	// webhook's own 401, for a missing signature, has no challenge.
	challenged := func(rec *httptest.ResponseRecorder) bool {
		return rec.Code == http.StatusUnauthorized && strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ")
	}
	passed := func(rec *httptest.ResponseRecorder) bool {
		return !challenged(rec) && rec.Code != http.StatusForbidden
	}

	for _, o := range documentedOperations(doc) {
		access, ok := documentedAccess(t, o)
		if !ok {
			continue
		}
		security := doc.Security
		if o.op.Security != nil {
			security = *o.op.Security
		}
		if access == auth.Public {
			assert.Empty(t, security, `%s is public: document "security": []`, o.key)
		} else {
			assert.Equal(t, doc.Security, security, "%s is %s: leave it the document's security (bearerAuth)", o.key, access)
		}
		method, template, _ := strings.Cut(o.key, " ")
		// Outside /api (the codec server) no rate limit applies, so its
		// refusals carry no RateLimit-* headers.
		refusals := ""
		if !httpx.IsAPIPath(template) {
			refusals = "Codec"
		}
		requireResponseRef(t, o, "401", refusals+"Unauthorized", access != auth.Public)
		requireResponseRef(t, o, "403", refusals+"Forbidden", access == auth.Admin)

		path := pathVariable.ReplaceAllString(template, "0190f2c4-5f7e-7a9b-8c3d-2e1f0a9b8c7d")
		anonymous := call(method, path, "")
		switch access {
		case auth.Public:
			assert.False(t, challenged(anonymous), "%s is documented public, but refuses a caller without a token", o.key)
			assert.True(t, passed(call(method, path, "not-a-token")), "%s is documented public, but looks at the token", o.key)
		case auth.Signed:
			assert.True(t, challenged(anonymous), "%s is documented signed-in, but answers %d to a caller without a token", o.key, anonymous.Code)
			assert.True(t, passed(call(method, path, customer)), "%s is documented signed-in, but refuses a customer", o.key)
		case auth.Admin:
			assert.True(t, challenged(anonymous), "%s is documented admin, but answers %d to a caller without a token", o.key, anonymous.Code)
			assert.Equal(t, http.StatusForbidden, call(method, path, customer).Code, "%s is documented admin, but does not refuse a customer", o.key)
			assert.True(t, passed(call(method, path, admin)), "%s is documented admin, but refuses an admin", o.key)
		}
	}
}

// requireResponseRef checks that o documents its code response as
// #/components/responses/name if want, and not otherwise.
func requireResponseRef(t *testing.T, o operation, code, name string, want bool) {
	t.Helper()
	r := o.op.Responses.Value(code)
	switch has := r != nil && r.Ref == "#/components/responses/"+name; {
	case want && !has:
		t.Errorf("%s: document %s as #/components/responses/%s", o.key, code, name)
	case !want && has:
		t.Errorf("%s: #/components/responses/%s does not apply to its access", o.key, name)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
