package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// openAPIDocument is the OpenAPI 3.0 description of the whole API, written
// by hand. openapi_test.go checks it against the routes the API registers,
// the Go types the handlers encode and decode, and the status constants.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPIETag changes whenever the document does, that is with the binary.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDocument)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// serveOpenAPI is GET /api/openapi.json: the embedded document, cacheable,
// with an ETag (If-None-Match answers 304).
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", openAPIETag)
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(openAPIDocument))
}
