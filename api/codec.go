package api

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
	"github.com/rs/cors"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// CodecPath is the codec server: POST CodecPath/encode and CodecPath/decode,
// Temporal's remote codec protocol, through which the Web UI and the CLI
// (--codec-endpoint) read the payloads that the workers and the api encrypt.
// Decoding shows customers' data, so only admins may call it (openapi.yaml).
const CodecPath = "/codec"

// codecMaxBodyBytes bounds a codec request: a few payloads of Temporal's
// 2 MB limit each, grown by a third in base64 JSON.
const codecMaxBodyBytes = 8 << 20

// mountCodec serves the codec server's endpoints.
func (s *Server) mountCodec(r *mux.Router) {
	r.HandleFunc(CodecPath+"/encode", s.codec("encode", converter.PayloadCodec.Encode)).Methods(http.MethodPost)
	r.HandleFunc(CodecPath+"/decode", s.codec("decode", converter.PayloadCodec.Decode)).Methods(http.MethodPost)
}

// codec answers a {"payloads":[...]} body (Temporal's Payloads, in proto
// JSON as the protocol has it) with what convert makes of the payloads.
// The SDK's converter.NewPayloadCodecHTTPHandler does the same, but answers
// its errors in plain text and reads bodies of any size.
func (s *Server) codec(op string, convert func(converter.PayloadCodec, []*commonpb.Payload) ([]*commonpb.Payload, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, p := httpx.ReadBodyUpTo(w, r, codecMaxBodyBytes)
		if p != nil {
			httpx.WriteProblem(w, r, p)
			return
		}
		var in commonpb.Payloads
		if err := protojson.Unmarshal(body, &in); err != nil {
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest,
				`the body must be Temporal's Payloads in proto JSON: {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}`))
			return
		}
		out, err := convert(s.Codec, in.Payloads)
		if err != nil {
			// The codec's errors name key IDs, never keys or data.
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnprocessableEntity, err.Error()))
			return
		}
		b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			s.internalError(w, r, "could not write the payloads", err)
			return
		}
		// Who read customers' data, and how much: an admin, or in
		// development the local Web UI (no user).
		caller, _ := auth.FromContext(r.Context())
		s.Logger.Info("codec "+op, "payloads", len(out), "user_id", caller.UserID, "namespace", r.Header.Get("X-Namespace"),
			"request_id", httpx.RequestID(r.Context()))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store") // decoded, they are customers' data
		_, _ = w.Write(b)
	}
}

// codecCORS lets the Temporal Web UI's origins, and only those, call the
// codec server from the browser: the Web UI sends X-Namespace, and
// Authorization when it passes a token. Credentials (cookies) are not
// allowed: the codec server reads none.
func (s *Server) codecCORS() *cors.Cors {
	return cors.New(cors.Options{
		AllowedOrigins: s.TemporalUIOrigins,
		AllowedMethods: []string{http.MethodPost},
		AllowedHeaders: []string{"Content-Type", "Authorization", "X-Namespace", httpx.RequestIDHeader},
		ExposedHeaders: []string{httpx.RequestIDHeader},
		MaxAge:         600,
	})
}

// withCORS answers each cross-origin caller by what it calls: the Web UI
// the codec server, the dashboard the rest. Neither gets the other's access.
func (s *Server) withCORS(next http.Handler) http.Handler {
	dashboard, webUI := s.cors().Handler(next), s.codecCORS().Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == CodecPath || strings.HasPrefix(r.URL.Path, CodecPath+"/") {
			webUI.ServeHTTP(w, r)
			return
		}
		dashboard.ServeHTTP(w, r)
	})
}

type localWebUIKey struct{}

// trustLocalWebUI lets the local Web UI decode without a token, when
// DecodeForLocalWebUI (development only): the dev server's Web UI has no
// sign-in, and passes a token only from one (OIDC, over https). It marks
// the request, which requireAccess then lets through, only when it is an
// anonymous POST /codec/decode from a page of TemporalUIOrigins on a
// loopback address: this machine's browser. Nothing else changes, and the
// CLI still needs an admin's token.
func (s *Server) trustLocalWebUI(next http.Handler) http.Handler {
	if !s.DecodeForLocalWebUI {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == CodecPath+"/decode" && r.Header.Get("Authorization") == "" &&
			slices.Contains(s.TemporalUIOrigins, r.Header.Get("Origin")) && clientAddr(r.Context()).IsLoopback() {
			r = r.WithContext(context.WithValue(r.Context(), localWebUIKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
}

// fromLocalWebUI reports whether trustLocalWebUI let the request through.
func fromLocalWebUI(ctx context.Context) bool {
	trusted, _ := ctx.Value(localWebUIKey{}).(bool)
	return trusted
}
