package auth

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

type ctxKey struct{}

// verdict is what Authenticate found in a request.
type verdict struct {
	principal Principal
	err       error // of a token that was sent and refused
	sent      bool
}

// Authenticate verifies the request's bearer token, when it has one, and
// records who is calling in the request's context. It refuses nothing by
// itself: Require does, route by route, and the rate limit in between can
// count a caller's requests under their user ID.
func Authenticate(keys *Keys) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var v verdict
			if h := r.Header.Get("Authorization"); h != "" {
				v.sent = true
				scheme, token, ok := strings.Cut(h, " ")
				if !ok || !strings.EqualFold(scheme, "Bearer") {
					v.err = errNotBearer
				} else {
					v.principal, v.err = keys.Verify(strings.TrimSpace(token), time.Now())
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, v)))
		})
	}
}

type authError string

func (e authError) Error() string { return string(e) }

const errNotBearer = authError("the Authorization header must be \"Bearer <access token>\"")

// FromContext returns the verified caller of a request, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	v, _ := ctx.Value(ctxKey{}).(verdict)
	return v.principal, v.sent && v.err == nil
}

// Access is who may call a route.
type Access int

// Access levels, from the most open.
const (
	Public Access = iota // anyone; a token is not even looked at
	Signed               // any signed-in user
	Admin                // admins only
)

// String names the level, for documentation and tests.
func (a Access) String() string {
	return [...]string{"public", "signed-in", "admin"}[a]
}

// Require lets a request through to next only when its caller has access:
// 401 with a WWW-Authenticate challenge (RFC 6750) without a valid token,
// 403 for a customer on an admin route.
func Require(access Access, next http.Handler) http.Handler {
	if access == Public {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := r.Context().Value(ctxKey{}).(verdict)
		switch {
		case !v.sent:
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderflow"`)
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized,
				"sign in: this request needs an \"Authorization: Bearer <access token>\" header (POST /api/auth/login)"))
		case v.err != nil:
			detail := "the access token is not valid"
			if errors.Is(v.err, ErrExpired) || errors.Is(v.err, errNotBearer) {
				detail = v.err.Error()
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderflow", error="invalid_token", error_description=`+strconv.Quote(detail))
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, detail))
		case access == Admin && !v.principal.IsAdmin():
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, "only admins may do this"))
		default:
			next.ServeHTTP(w, r)
		}
	})
}
