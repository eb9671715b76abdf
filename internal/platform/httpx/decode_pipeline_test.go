package httpx

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// DecodeJSON is the API's pipeline for one JSON body, as its middleware
// and the generated server run it (api/operations.go): the content type,
// the size and time limits, encoding/json's decoding, then CheckJSON.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) *Problem {
	if p := CheckJSONContentType(r); p != nil {
		return p
	}
	body, p := ReadBody(w, r)
	if p != nil {
		return p
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(dst); err != nil {
		return JSONProblem(err)
	}
	return CheckJSON(body, dst)
}
