package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// mountOperations registers the operations of openapi.yaml on r through the
// generated server: their routes and parameters come from the document, and
// Server implements StrictServerInterface. Bodies are read within limits
// (readBody), decoded strictly and validated (strictBody); a handler's
// error is its problem (responseError).
func (s *Server) mountOperations(r *mux.Router) {
	strict := NewStrictHandlerWithOptions(s, []StrictMiddlewareFunc{strictBody}, StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  requestError,
		ResponseErrorHandlerFunc: s.responseError,
	})
	HandlerWithOptions(strict, GorillaServerOptions{
		BaseRouter:       r,
		Middlewares:      []MiddlewareFunc{readBody},
		ErrorHandlerFunc: paramError,
	})
}

type rawBodyKey struct{}

// readBody reads a request's body whole, within httpx.MaxBodyBytes and the
// server's read timeout, before the generated code decodes it, and keeps
// the bytes for strictBody's checks.
func readBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		body, p := httpx.ReadBody(w, r)
		if p == nil && len(body) > 0 { // an empty body has no type to check
			p = httpx.CheckJSONContentType(r)
		}
		if p != nil {
			httpx.WriteProblem(w, r, p)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), rawBodyKey{}, body)))
	})
}

// validated is a request body with checks beyond its schema's types (a
// method of the generated type, beside its handler).
type validated interface{ validate() *httpx.Problem }

// strictBody holds a decoded body to what encoding/json lets through (names
// exactly as documented, no unknown field, no NUL, one JSON value: see
// httpx.CheckJSON), then to its own checks, before the handler sees it.
func strictBody(next StrictHandlerFunc, _ string) StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		body := reflect.ValueOf(request).FieldByName("Body")
		if !body.IsValid() || body.IsNil() {
			return next(ctx, w, r, request)
		}
		raw, _ := ctx.Value(rawBodyKey{}).([]byte)
		if p := httpx.CheckJSON(raw, body.Interface()); p != nil {
			return nil, p
		}
		if v, ok := body.Interface().(validated); ok {
			if p := v.validate(); p != nil {
				return nil, p
			}
		}
		return next(ctx, w, r, request)
	}
}

// requestError answers a body the generated code could not decode.
func requestError(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteProblem(w, r, httpx.JSONProblem(errors.Unwrap(err)))
}

// paramError answers a path, query or header parameter that does not fit
// its documented type.
func paramError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		format   *InvalidParamFormatError
		required *RequiredParamError
		many     *TooManyValuesForParamError
	)
	detail := "the request's parameters are not valid"
	switch {
	case errors.As(err, &format):
		detail = format.ParamName + " is not valid: want " + paramShapes[format.ParamName]
	case errors.As(err, &required):
		detail = required.ParamName + " is required"
	case errors.As(err, &many):
		detail = fmt.Sprintf("%s must be given once, not %d times", many.ParamName, many.Count)
	}
	httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, strings.TrimSuffix(detail, ": want ")))
}

// paramShapes say what the typed parameters take.
var paramShapes = map[string]string{"limit": "an integer from 1 to 100"}

// failure is an error no client can fix: responseError logs it with the
// request ID and answers a 500 that names only the request.
type failure struct {
	msg   string
	err   error
	attrs []any
}

func (f *failure) Error() string { return f.msg + ": " + f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// fail is a handler's failure: msg says what could not be done, attrs
// identify what it was done to, for the log.
func fail(msg string, err error, attrs ...any) error {
	return &failure{msg: msg, err: err, attrs: attrs}
}

// responseError answers a handler's error: its problem, or a failure.
func (s *Server) responseError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		p *httpx.Problem
		f *failure
	)
	switch {
	case errors.As(err, &p):
		httpx.WriteProblem(w, r, p)
	case errors.As(err, &f):
		s.internalError(w, r, f.msg, f.err, f.attrs...)
	default:
		s.internalError(w, r, "could not answer", err)
	}
}

// as converts a value of the services (a read model's row, a stock level)
// to the API type of the same JSON: the services already encode what the
// document describes, and going through that encoding keeps the fields'
// mapping in one place, their JSON names, instead of a copy per type.
func as[T any](v any) T {
	var out T
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &out)
	}
	if err != nil {
		panic(fmt.Sprintf("api: %T does not encode as %T: %v", v, out, err)) // a programming error: the tests go through every answer
	}
	return out
}
