package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// openAPIYAML is the API's OpenAPI document, the source of the generated
// code (openapi.gen.go) too.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// document is openapi.yaml, loaded: what GET /api/openapi.json serves (as
// JSON), and where each operation's access comes from.
var document = func() *openapi3.T {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIYAML)
	if err != nil {
		panic("api: the embedded OpenAPI document does not load: " + err.Error())
	}
	return doc
}()

// openAPIJSON is the document as JSON, and openAPIETag changes with it,
// that is with the binary.
var openAPIJSON, openAPIETag = func() ([]byte, string) {
	b, err := json.Marshal(document)
	if err != nil {
		panic("api: the OpenAPI document does not encode: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// serveOpenAPI is GET /api/openapi.json: the document, cacheable, with an
// ETag (If-None-Match answers 304).
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", openAPIETag)
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(openAPIJSON))
}

// accessLevels are the document's x-orderflow-access values.
var accessLevels = map[string]auth.Access{"public": auth.Public, "signed-in": auth.Signed, "admin": auth.Admin}

// operationAccess is who may call each operation, by "METHOD /path
// template": the document's x-orderflow-access, the one place it is said.
var operationAccess = func() map[string]auth.Access {
	out := map[string]auth.Access{}
	for path, item := range document.Paths.Map() {
		for method, op := range item.Operations() {
			level, _ := op.Extensions["x-orderflow-access"].(string)
			a, ok := accessLevels[level]
			if !ok {
				panic("api: " + method + " " + path + " documents no x-orderflow-access (public, signed-in or admin)")
			}
			out[strings.ToUpper(method)+" "+path] = a
		}
	}
	return out
}()

// requireAccess lets a request through to its route only with the access
// the route's operation documents. A route the document does not know is
// refused: its access would be a guess.
func requireAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, _ := mux.CurrentRoute(r).GetPathTemplate()
		access, ok := operationAccess[r.Method+" "+path]
		if !ok {
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusInternalServerError, r.Method+" "+path+" is not documented"))
			return
		}
		if fromLocalWebUI(r.Context()) { // a decode, in development only (codec.go)
			next.ServeHTTP(w, r)
			return
		}
		auth.Require(access, next).ServeHTTP(w, r)
	})
}
