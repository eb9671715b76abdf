package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBodyBytes is the largest request body any JSON endpoint accepts.
const MaxBodyBytes = 1 << 20

// DecodeJSON strictly decodes one JSON object from the request body into dst:
// unknown fields, trailing data, a wrong content type and bodies over
// MaxBodyBytes all become 4xx problems with a detail that says what is wrong.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) *Problem {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// curl -d labels bodies as form data by default; the body is still
		// decoded as strict JSON, so accepting the label costs nothing.
		jsonLike := mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "application/x-www-form-urlencoded"
		if err != nil || !jsonLike {
			return NewProblem(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		}
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return NewProblem(http.StatusBadRequest, "request body must contain a single JSON object")
	}
	return nil
}

func decodeProblem(err error) *Problem {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxErr):
		return NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", maxErr.Limit))
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
		return &Problem{Type: "about:blank", Title: http.StatusText(http.StatusBadRequest), Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("%s must be %s", field, typeErr.Type),
			Errors: []FieldError{{Field: field, Detail: "must be " + typeErr.Type.String()}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Problem{Type: "about:blank", Title: http.StatusText(http.StatusBadRequest), Status: http.StatusBadRequest,
			Detail: fmt.Sprintf("unknown field %q", name),
			Errors: []FieldError{{Field: name, Detail: "unknown field"}}}
	default:
		return NewProblem(http.StatusBadRequest, "malformed JSON: "+err.Error())
	}
}
