package api

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
)

const webUI = "http://127.0.0.1:8233"

// codecServer is the API's handler with a codec, and tokens of each role.
type codecServer struct {
	h               http.Handler
	customer, admin string
}

func newCodecServer(t *testing.T, decodeForLocalWebUI bool) codecServer {
	t.Helper()
	keys, err := auth.ParseKeys("test-1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	codec, err := payloadcrypt.New("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)))
	require.NoError(t, err)
	token := func(role string) string {
		tok, err := keys.Issue(auth.Principal{UserID: uuid.NewString(), Role: role}, time.Now(), time.Minute)
		require.NoError(t, err)
		return "Bearer " + tok
	}
	s := &Server{Logger: slog.New(slog.DiscardHandler), Keys: keys, Codec: codec,
		CORSAllowedOrigins: []string{"http://127.0.0.1:3000"}, TemporalUIOrigins: []string{webUI}, DecodeForLocalWebUI: decodeForLocalWebUI}
	return codecServer{h: s.Handler(), customer: token(auth.RoleCustomer), admin: token(auth.RoleAdmin)}
}

// call posts body to the codec server's op; headers are name, value pairs.
func (c codecServer) call(op, body string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, CodecPath+"/"+op, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

func payloadsJSON(t *testing.T, values ...any) string {
	t.Helper()
	var ps commonpb.Payloads
	for _, v := range values {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		require.NoError(t, err)
		ps.Payloads = append(ps.Payloads, p)
	}
	b, err := protojson.Marshal(&ps)
	require.NoError(t, err)
	return string(b)
}

func readPayloads(t *testing.T, rec *httptest.ResponseRecorder) []*commonpb.Payload {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var ps commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(rec.Body.Bytes(), &ps))
	return ps.Payloads
}

func TestCodecServerIsForAdmins(t *testing.T) {
	c := newCodecServer(t, false)
	for _, op := range []string{"encode", "decode"} {
		rec := c.call(op, payloadsJSON(t, "x"))
		assert.Equal(t, http.StatusUnauthorized, rec.Code, op)
		assert.True(t, strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer "), op)
		assert.Equal(t, http.StatusUnauthorized, c.call(op, payloadsJSON(t, "x"), "Authorization", "Bearer not-a-token").Code, op)
		assert.Equal(t, http.StatusForbidden, c.call(op, payloadsJSON(t, "x"), "Authorization", c.customer).Code, op)
	}
}

// What the Web UI and `temporal workflow show --codec-endpoint` do: decode
// what the workers encoded, and pass clear payloads through.
func TestCodecServerRoundTrip(t *testing.T) {
	c := newCodecServer(t, false)
	enc := c.call("encode", payloadsJSON(t, "ada@example.com", 42), "Authorization", c.admin, "X-Namespace", "orderflow")
	encoded := readPayloads(t, enc)
	require.Len(t, encoded, 2)
	assert.NotContains(t, enc.Body.String(), base64.StdEncoding.EncodeToString([]byte(`"ada@example.com"`)))
	for _, p := range encoded {
		assert.Equal(t, payloadcrypt.Encoding, string(p.Metadata[converter.MetadataEncoding]))
	}

	clear := payloadsJSON(t, "already clear")
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: append(encoded, readPayloads(t, c.call("decode", clear, "Authorization", c.admin))...)})
	require.NoError(t, err)
	dec := c.call("decode", string(body), "Authorization", c.admin)
	assert.Equal(t, "no-store", dec.Header().Get("Cache-Control"))
	decoded := readPayloads(t, dec)
	require.Len(t, decoded, 3)
	var email, clearText string
	var n int
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(decoded[0], &email))
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(decoded[1], &n))
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(decoded[2], &clearText))
	assert.Equal(t, "ada@example.com", email)
	assert.Equal(t, 42, n)
	assert.Equal(t, "already clear", clearText)
}

func TestCodecServerRefusals(t *testing.T) {
	c := newCodecServer(t, false)
	rec := c.call("decode", `{"payloads": "nope"}`, "Authorization", c.admin)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))

	other, err := payloadcrypt.New("retired:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	require.NoError(t, err)
	p, err := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), other).ToPayload("x")
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	require.NoError(t, err)
	rec = c.call("decode", string(body), "Authorization", c.admin)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, rec.Body.String(), `key \"retired\", which is not among the keys`)
}

// The Web UI's preflight: its origin may post with X-Namespace and
// Authorization; the dashboard's may not call the codec server, nor the
// Web UI's the API.
func TestCodecServerCORS(t *testing.T) {
	c := newCodecServer(t, false)
	// A browser lists the headers sorted, in lower case.
	preflight := func(path, origin, headers string) http.Header {
		req := httptest.NewRequest(http.MethodOptions, path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", headers)
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, req)
		assert.Less(t, rec.Code, 300, "%s from %s", path, origin)
		return rec.Header()
	}
	const uiHeaders = "authorization,content-type,x-namespace"
	h := preflight(CodecPath+"/decode", webUI, uiHeaders)
	assert.Equal(t, webUI, h.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, http.MethodPost, h.Get("Access-Control-Allow-Methods"))
	assert.Equal(t, uiHeaders, h.Get("Access-Control-Allow-Headers"))
	assert.Empty(t, h.Get("Access-Control-Allow-Credentials"), "the codec server reads no cookies")

	assert.Empty(t, preflight(CodecPath+"/decode", "http://127.0.0.1:3000", uiHeaders).Get("Access-Control-Allow-Origin"))
	assert.Empty(t, preflight("/api/orders", webUI, "content-type").Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "http://127.0.0.1:3000", preflight("/api/orders", "http://127.0.0.1:3000", "content-type").Get("Access-Control-Allow-Origin"))

	rec := c.call("decode", payloadsJSON(t, "x"), "Authorization", c.admin, "Origin", webUI)
	assert.Equal(t, webUI, rec.Header().Get("Access-Control-Allow-Origin"))
}

// In development the local Web UI, which has no sign-in, decodes without a
// token: only a decode, only from its origin, only from this machine.
func TestLocalWebUIDecodesInDevelopment(t *testing.T) {
	local := func(c codecServer, op, origin, remote string) int {
		req := httptest.NewRequest(http.MethodPost, CodecPath+"/"+op, strings.NewReader(payloadsJSON(t, "x")))
		req.Header.Set("Origin", origin)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, req)
		return rec.Code
	}
	dev := newCodecServer(t, true)
	assert.Equal(t, http.StatusOK, local(dev, "decode", webUI, "127.0.0.1:50000"))
	assert.Equal(t, http.StatusOK, local(dev, "decode", webUI, "[::1]:50000"))
	assert.Equal(t, http.StatusUnauthorized, local(dev, "encode", webUI, "127.0.0.1:50000"), "encode needs a token")
	assert.Equal(t, http.StatusUnauthorized, local(dev, "decode", "", "127.0.0.1:50000"), "not the Web UI: the CLI needs a token")
	assert.Equal(t, http.StatusUnauthorized, local(dev, "decode", "https://evil.example", "127.0.0.1:50000"))
	assert.Equal(t, http.StatusUnauthorized, local(dev, "decode", webUI, "192.0.2.7:50000"), "another machine")

	prod := newCodecServer(t, false)
	assert.Equal(t, http.StatusUnauthorized, local(prod, "decode", webUI, "127.0.0.1:50000"), "production needs a token")
}
