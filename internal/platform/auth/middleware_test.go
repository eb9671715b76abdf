package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orderflow/internal/platform/auth"
)

func TestRequire(t *testing.T) {
	k := mustKeys(t, "k1:"+seedA)
	now := time.Now()
	customerToken, _ := k.Issue(customer, now, time.Minute)
	adminToken, _ := k.Issue(auth.Principal{UserID: uuid.NewString(), Role: auth.RoleAdmin}, now, time.Minute)
	expired, _ := k.Issue(customer, now.Add(-time.Hour), time.Minute)

	var seen auth.Principal
	reached := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = auth.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})
	call := func(access auth.Access, authorization string) *httptest.ResponseRecorder {
		seen = auth.Principal{}
		r := httptest.NewRequest(http.MethodGet, "/api/x", nil)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		auth.Authenticate(k)(auth.Require(access, reached)).ServeHTTP(rec, r)
		return rec
	}

	for _, c := range []struct {
		name          string
		access        auth.Access
		authorization string
		status        int
		challenge     string // in WWW-Authenticate
	}{
		{"public, anonymous", auth.Public, "", 204, ""},
		{"public, bad token is ignored", auth.Public, "Bearer junk", 204, ""},
		{"signed, anonymous", auth.Signed, "", 401, `Bearer realm="orderflow"`},
		{"signed, customer", auth.Signed, "Bearer " + customerToken, 204, ""},
		{"signed, lower-case scheme", auth.Signed, "bearer " + customerToken, 204, ""},
		{"signed, basic auth", auth.Signed, "Basic YTpi", 401, `error="invalid_token"`},
		{"signed, expired", auth.Signed, "Bearer " + expired, 401, `error_description="the access token has expired"`},
		{"signed, junk", auth.Signed, "Bearer junk", 401, `error="invalid_token"`},
		{"admin, customer", auth.Admin, "Bearer " + customerToken, 403, ""},
		{"admin, admin", auth.Admin, "Bearer " + adminToken, 204, ""},
	} {
		rec := call(c.access, c.authorization)
		if rec.Code != c.status {
			t.Errorf("%s: %d, want %d (%s)", c.name, rec.Code, c.status, rec.Body)
			continue
		}
		if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, c.challenge) || (c.challenge == "") != (got == "") {
			t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, got, c.challenge)
		}
		if c.status >= 400 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %s, want a problem", c.name, rec.Header().Get("Content-Type"))
		}
	}
	if call(auth.Signed, "Bearer "+customerToken); seen != customer {
		t.Errorf("handler saw %+v, want %+v", seen, customer)
	}
}
