package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"reflect"
	"strings"
)

// MaxBodyBytes is the largest request body any JSON endpoint accepts.
const MaxBodyBytes = 1 << 20

// CheckJSONContentType refuses a body labelled as anything but JSON (415).
func CheckJSONContentType(r *http.Request) *Problem {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// curl -d labels bodies as form data by default; the body is still
		// decoded as strict JSON, so accepting the label costs nothing.
		jsonLike := mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "application/x-www-form-urlencoded"
		if err != nil || !jsonLike {
			return NewProblem(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		}
	}
	return nil
}

// CheckJSON checks body, which dst was decoded from, for what encoding/json
// lets through: data after the value (400), object keys that are not
// exactly one of dst's JSON names (encoding/json matches them in any case,
// and ignores unknown ones: 400), and NUL characters, which PostgreSQL
// refuses in text and jsonb (422).
func CheckJSON(body []byte, dst any) *Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	var skip json.RawMessage
	if err := dec.Decode(&skip); err != nil {
		return JSONProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return NewProblem(http.StatusBadRequest, "request body must contain a single JSON object")
	}
	return checkBody(body, dst)
}

// ReadBody reads the whole request body, of at most MaxBodyBytes. A body
// too large is a 413; one that does not arrive within the server's
// ReadTimeout a 408, which closes the connection. No detail quotes the
// read error, which names the server's socket addresses.
func ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, *Problem) {
	return ReadBodyUpTo(w, r, MaxBodyBytes)
}

// ReadBodyUpTo is ReadBody with a limit of its own, for the endpoint whose
// bodies are not the API's JSON (the codec server's payloads).
func ReadBodyUpTo(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *Problem) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return body, nil
	case errors.As(err, &tooLarge):
		return nil, NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", tooLarge.Limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		return nil, NewProblem(http.StatusRequestTimeout, "request body not received in time")
	default:
		return nil, NewProblem(http.StatusBadRequest, "the request body could not be read to its end")
	}
}

// JSONProblem maps an error of encoding/json's to a problem. The body is
// read already, so no I/O error, with its socket addresses, gets this far.
func JSONProblem(err error) *Problem {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntaxErr):
		return NewProblem(http.StatusBadRequest, fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return NewProblem(http.StatusBadRequest, "malformed JSON: unexpected end of body")
	case errors.Is(err, io.EOF):
		return NewProblem(http.StatusBadRequest, "request body is empty")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		want := jsonKind(typeErr.Type)
		return &Problem{Type: "about:blank", Title: http.StatusText(http.StatusBadRequest), Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("%s must be %s", field, want),
			Errors: []FieldError{{Field: field, Detail: "must be " + want}}}
	default:
		return NewProblem(http.StatusBadRequest, "malformed JSON: "+err.Error())
	}
}

// jsonKind names what a client must send for a value of Go type t, in
// JSON's words: the Go type's name means nothing to the client.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}
