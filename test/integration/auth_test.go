package integration

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/workflows"
)

// updateProfile sends PATCH /api/users/me as s.
func updateProfile(t *testing.T, s session, body string) (int, map[string]any) {
	t.Helper()
	status, _, resp := do(t, request(t, http.MethodPatch, stack.apiURL+"/api/users/me", body, bearer(s.AccessToken)))
	return status, resp
}

func refreshBody(token string) string { return fmt.Sprintf(`{"refresh_token":%q}`, token) }

func TestSignUpAndSignIn(t *testing.T) {
	email := newEmail("signup")
	register := func(password string) map[string]any {
		t.Helper()
		b, _ := json.Marshal(map[string]string{"email": email, "password": password, "name": "Ada"})
		status, _, body := post(t, "/api/auth/register", string(b), anonymous)
		require.Equal(t, http.StatusAccepted, status, "%v", body)
		return body
	}
	first := register(testPassword)
	// The same email again answers the same, so sign-up tells nobody who
	// has an account, and it changes nothing.
	require.Equal(t, first, register("another long password"))
	status, _, body := post(t, "/api/auth/register", `{"email":"short@example.com","password":"short"}`, anonymous)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)

	status, _, signedIn := post(t, "/api/auth/login", credentials(email, testPassword), anonymous)
	require.Equal(t, http.StatusOK, status, "%v", signedIn)
	require.Equal(t, "Bearer", signedIn["token_type"])
	require.Equal(t, stack.cfg.AccessTokenTTL.Seconds(), signedIn["expires_in"])
	require.NotEmpty(t, signedIn["access_token"])
	require.NotEmpty(t, signedIn["refresh_token"])
	user := signedIn["user"].(map[string]any)
	require.Equal(t, email, user["email"])
	require.Equal(t, users.RoleCustomer, user["role"])
	require.Equal(t, "Ada", user["name"])
	require.NotContains(t, fmt.Sprint(signedIn), "argon2id", "no password hash leaves the API")
	// The email is the account however it is typed.
	status, _, _ = post(t, "/api/auth/login", credentials(strings.ToUpper(email), testPassword), anonymous)
	require.Equal(t, http.StatusOK, status)

	// A wrong password and an unknown email are told apart by nothing.
	status, hdr, wrongPassword := post(t, "/api/auth/login", credentials(email, "another long password"), anonymous)
	require.Equal(t, http.StatusUnauthorized, status, "the second sign-up did not set a password")
	require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
	status, _, unknownEmail := post(t, "/api/auth/login", credentials(newEmail("nobody"), testPassword), anonymous)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, wrongPassword, unknownEmail)

	status, _, me := get(t, "/api/users/me", bearer(signedIn["access_token"].(string)))
	require.Equal(t, http.StatusOK, status, "%v", me)
	require.Equal(t, user["id"], me["id"])
	require.Equal(t, email, me["email"])
	require.Equal(t, "UTC", me["time_zone"])
	require.Equal(t, map[string]any{"channels": []any{"email", "sms"}, "quiet_hours": nil}, me["notification_preferences"])

	status, _, me = get(t, "/api/users/me")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, stack.customer.User.ID, me["id"], "the default token is the demo customer's")
}

func TestProfileUpdates(t *testing.T) {
	c := newCustomer(t)
	status, me := updateProfile(t, c, `{"name":"Ada Lovelace","phone":"+15005550006","time_zone":"Europe/Paris",
		"notification_preferences":{"channels":["sms","email"],"quiet_hours":{"start":"22:00","end":"07:00"}}}`)
	require.Equal(t, http.StatusOK, status, "%v", me)
	want := map[string]any{"channels": []any{"sms", "email"}, "quiet_hours": map[string]any{"start": "22:00", "end": "07:00"}}
	require.Equal(t, want, me["notification_preferences"])
	_, _, me = get(t, "/api/users/me", bearer(c.AccessToken))
	require.Equal(t, "Ada Lovelace", me["name"])
	require.Equal(t, "+15005550006", me["phone"])
	require.Equal(t, "Europe/Paris", me["time_zone"])
	require.Equal(t, want, me["notification_preferences"], "stored")

	// Fields left out stay as they are.
	status, me = updateProfile(t, c, `{"name":"Ada"}`)
	require.Equal(t, http.StatusOK, status, "%v", me)
	require.Equal(t, "Europe/Paris", me["time_zone"])
	require.Equal(t, want, me["notification_preferences"])

	for _, tc := range []struct{ body, field string }{
		{`{"time_zone":"Mars/Olympus_Mons"}`, "time_zone"},
		{`{"time_zone":"Local"}`, "time_zone"},
		{`{"notification_preferences":{"channels":["pigeon"]}}`, "notification_preferences.channels[0]"},
		{`{"notification_preferences":{"channels":["sms","sms"]}}`, "notification_preferences.channels[1]"},
		{`{"notification_preferences":{"channels":[]}}`, "notification_preferences.channels"},
		{`{"notification_preferences":{"quiet_hours":{"start":"25:00","end":"07:00"}}}`, "notification_preferences.quiet_hours"},
		{`{"phone":"555"}`, "phone"},
	} {
		status, problem := updateProfile(t, c, tc.body)
		require.Equal(t, http.StatusUnprocessableEntity, status, "%s: %v", tc.body, problem)
		require.Equal(t, tc.field, problem["errors"].([]any)[0].(map[string]any)["field"], tc.body)
	}
	status, problem := updateProfile(t, c, `{"role":"admin"}`)
	require.Equal(t, http.StatusBadRequest, status, "a customer cannot make themselves an admin: %v", problem)
	taken := strings.ToUpper(stack.cfg.DemoCustomerEmail)
	status, problem = updateProfile(t, c, `{"email":"`+taken+`"}`)
	require.Equal(t, http.StatusUnprocessableEntity, status, "a new email needs the current password: %v", problem)
	status, problem = updateProfile(t, c, `{"email":"`+taken+`","current_password":"not it at all"}`)
	require.Equal(t, http.StatusForbidden, status, "a wrong current password: %v", problem)
	status, problem = updateProfile(t, c, `{"email":"`+taken+`","current_password":"`+testPassword+`"}`)
	require.Equal(t, http.StatusConflict, status, "another account's email: %v", problem)
	_, _, me = get(t, "/api/users/me", bearer(c.AccessToken))
	require.Equal(t, "Europe/Paris", me["time_zone"], "refused changes changed nothing")
	require.Equal(t, users.RoleCustomer, me["role"])

	// null clears the quiet hours, and only them.
	status, me = updateProfile(t, c, `{"notification_preferences":{"quiet_hours":null}}`)
	require.Equal(t, http.StatusOK, status, "%v", me)
	require.Equal(t, map[string]any{"channels": []any{"sms", "email"}, "quiet_hours": nil}, me["notification_preferences"])
	_, _, me = get(t, "/api/users/me", bearer(c.AccessToken))
	require.Nil(t, me["notification_preferences"].(map[string]any)["quiet_hours"])
}

// signingKey is the private key of the stack's first JWT key, from the
// configuration's "kid:seed".
func signingKey(t *testing.T) (kid string, key ed25519.PrivateKey) {
	t.Helper()
	kid, seed, _ := strings.Cut(strings.Split(stack.cfg.JWTSigningKeys, ",")[0], ":")
	raw, err := base64.StdEncoding.DecodeString(seed)
	require.NoError(t, err)
	return kid, ed25519.NewKeyFromSeed(raw)
}

// Tokens that are not the API's own, or no longer good, are refused with a
// 401 and a Bearer challenge, even when they claim to be the admin's.
func TestInvalidAccessTokensAreRefused(t *testing.T) {
	keys, err := auth.ParseKeys(stack.cfg.JWTSigningKeys)
	require.NoError(t, err)
	kid, key := signingKey(t)
	admin := auth.Principal{UserID: stack.admin.User.ID, Role: auth.RoleAdmin}
	now := time.Now()
	claims := func(audience string) jwt.MapClaims {
		return jwt.MapClaims{
			"iss": auth.Issuer, "sub": admin.UserID, "aud": []string{audience}, "role": admin.Role,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": uuid.NewString(),
		}
	}
	// sign signs claims as the API does.
	sign := func(c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	stats := func(authorization string) (int, http.Header, map[string]any) {
		return get(t, "/api/stats", map[string]string{"Authorization": authorization})
	}

	// The controls: the API's own token, and one built here with the real
	// key, are taken, so the refusals below are for what each case changes.
	issued, err := keys.Issue(admin, now, time.Minute)
	require.NoError(t, err)
	status, _, body := stats("Bearer " + issued)
	require.Equal(t, http.StatusOK, status, "%v", body)
	status, _, body = stats("Bearer " + sign(claims(auth.Audience)))
	require.Equal(t, http.StatusOK, status, "%v", body)

	expired, err := keys.Issue(admin, now.Add(-time.Hour), 15*time.Minute)
	require.NoError(t, err)
	otherSeed := make([]byte, ed25519.SeedSize)
	rand.Read(otherSeed)
	otherKeys, err := auth.ParseKeys(kid + ":" + base64.StdEncoding.EncodeToString(otherSeed)) // the same kid
	require.NoError(t, err)
	otherKey, err := otherKeys.Issue(admin, now, time.Minute)
	require.NoError(t, err)
	b64 := base64.RawURLEncoding.EncodeToString
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	payload, _ := json.Marshal(claims(auth.Audience))
	algNone := b64(header) + "." + b64(payload) + "."
	require.True(t, strings.HasPrefix(algNone, "eyJ"))

	for name, authorization := range map[string]string{
		"expired":          "Bearer " + expired,
		"another key":      "Bearer " + otherKey,
		"alg none":         "Bearer " + algNone,
		"another audience": "Bearer " + sign(claims("someone-else")),
		"garbage":          "Bearer garbage",
		"not a bearer":     "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin")),
	} {
		t.Run(name, func(t *testing.T) {
			status, hdr, body := stats(authorization)
			require.Equal(t, http.StatusUnauthorized, status, "%v", body)
			require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
			challenge := hdr.Get("WWW-Authenticate")
			require.True(t, strings.HasPrefix(challenge, `Bearer realm="orderflow", error="invalid_token"`), challenge)
			if name == "expired" {
				require.Contains(t, challenge, "expired", "the client is told to refresh")
			}
		})
	}
	status, hdr, body := get(t, "/api/stats", anonymous)
	require.Equal(t, http.StatusUnauthorized, status, "%v", body)
	require.Equal(t, `Bearer realm="orderflow"`, hdr.Get("WWW-Authenticate"))
}

func TestRefreshTokensRotateAndReuseEndsTheSession(t *testing.T) {
	c := newCustomer(t)
	refresh := func(token string) (int, session) {
		t.Helper()
		status, _, raw := send(t, request(t, http.MethodPost, stack.apiURL+"/api/auth/refresh", refreshBody(token), anonymous))
		var s session
		if status == http.StatusOK {
			require.NoError(t, json.Unmarshal(raw, &s))
		}
		return status, s
	}

	status, next := refresh(c.RefreshToken)
	require.Equal(t, http.StatusOK, status)
	require.NotEqual(t, c.RefreshToken, next.RefreshToken, "the refresh token rotates")
	require.NotEqual(t, c.AccessToken, next.AccessToken)
	require.Equal(t, c.User.ID, next.User.ID)
	status, _, me := get(t, "/api/users/me", bearer(next.AccessToken))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, c.User.ID, me["id"])

	// The old token again means it was copied: the session ends, for the
	// thief and the user alike.
	status, _ = refresh(c.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = refresh(next.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, status, "the newest token of the revoked session")
	// Other sessions of the user go on.
	other, err := signIn(c.User.Email, testPassword)
	require.NoError(t, err)
	status, _ = refresh(other.RefreshToken)
	require.Equal(t, http.StatusOK, status)

	// Sign-out ends the session; signing out twice is fine.
	s, err := signIn(c.User.Email, testPassword)
	require.NoError(t, err)
	for range 2 {
		status, _, body := post(t, "/api/auth/logout", refreshBody(s.RefreshToken), anonymous)
		require.Equal(t, http.StatusNoContent, status, "%v", body)
	}
	status, _ = refresh(s.RefreshToken)
	require.Equal(t, http.StatusUnauthorized, status)

	status, _ = refresh("not-a-token")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, body := post(t, "/api/auth/refresh", `{}`, anonymous)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%v", body)
}

// A customer's orders are theirs: another customer can neither see, list,
// follow nor cancel them, and is not even told they exist; the admin sees
// them all.
func TestCustomersSeeOnlyTheirOwnOrders(t *testing.T) {
	me, other := stack.customer, newCustomer(t)
	// The same body under the same Idempotency-Key: keys are each
	// customer's own, so these are two orders. No contact in the body: the
	// profile's is used.
	const body = `{"items":[{"sku":"MUG-CERAMIC","quantity":1}],"payment":{"token":"tok_visa"}}`
	key := map[string]string{"Idempotency-Key": uniqueID("shared-key")}
	status, _, placed := post(t, "/api/orders", body, key)
	require.Equal(t, http.StatusAccepted, status, "%v", placed)
	mine := placed["id"].(string)
	require.Equal(t, me.User.ID, placed["customer_id"], "the customer is the caller")
	require.Equal(t, me.User.Email, placed["contact"].(map[string]any)["email"])
	// Placed after mine, so an unrestricted list would show it first.
	status, _, placed = post(t, "/api/orders", body, bearer(other.AccessToken), key)
	require.Equal(t, http.StatusAccepted, status, "%v", placed)
	theirs := placed["id"].(string)
	require.NotEqual(t, mine, theirs)
	require.Equal(t, other.User.ID, placed["customer_id"])
	require.Equal(t, other.User.Email, placed["contact"].(map[string]any)["email"])

	missing := uuid.Must(uuid.NewV7()).String()
	for _, id := range []string{theirs, missing} {
		for _, req := range []*http.Request{
			request(t, http.MethodGet, stack.apiURL+"/api/orders/"+id, ""),
			request(t, http.MethodGet, stack.apiURL+"/api/orders/"+id+"/events", ""),
			request(t, http.MethodPost, stack.apiURL+"/api/orders/"+id+"/cancel", `{"reason":"not mine"}`),
		} {
			status, _, body := do(t, req)
			require.Equal(t, http.StatusNotFound, status, "%s %s: %v", req.Method, req.URL.Path, body)
			require.Equal(t, `no order "`+id+`"`, body["detail"], "another's order looks like a missing one")
		}
	}

	status, _, problem := get(t, "/api/orders?customer_id="+other.User.ID)
	require.Equal(t, http.StatusForbidden, status, "%v", problem)
	status, _, page := get(t, "/api/orders?limit=100")
	require.Equal(t, http.StatusOK, status)
	var listed []string
	for _, o := range page["orders"].([]any) {
		o := o.(map[string]any)
		require.Equal(t, me.User.ID, o["customer_id"])
		listed = append(listed, o["id"].(string))
	}
	require.Contains(t, listed, mine)
	require.NotContains(t, listed, theirs)
	status, _, page = get(t, "/api/orders?customer_id="+me.User.ID+"&limit=1")
	require.Equal(t, http.StatusOK, status, "%v", page)
	require.Equal(t, mine, page["orders"].([]any)[0].(map[string]any)["id"])
	status, _, page = get(t, "/api/orders", bearer(other.AccessToken))
	require.Equal(t, http.StatusOK, status)
	require.Len(t, page["orders"], 1, "the other customer lists their one order")
	require.Equal(t, theirs, page["orders"].([]any)[0].(map[string]any)["id"])

	status, _, order := get(t, "/api/orders/"+theirs, asAdmin)
	require.Equal(t, http.StatusOK, status, "%v", order)
	require.Equal(t, other.User.ID, order["customer_id"])
	status, _, page = get(t, "/api/orders?customer_id="+other.User.ID, asAdmin)
	require.Equal(t, http.StatusOK, status, "%v", page)
	require.Len(t, page["orders"], 1)

	require.Equal(t, orders.StatusCompleted, waitForFinal(t, theirs).Status, "the refused cancel changed nothing")
	require.Equal(t, orders.StatusCompleted, waitForFinal(t, mine).Status)
}

func TestCustomersCannotCallAdminRoutes(t *testing.T) {
	id := placeOrderNeedingApproval(t)
	onHand, _ := stockOf(t, "MUG-CERAMIC")
	for _, req := range []*http.Request{
		request(t, http.MethodGet, stack.apiURL+"/api/stats", ""),
		request(t, http.MethodPost, stack.apiURL+"/api/orders/"+id+"/approve", `{"reason":"I approve of myself"}`),
		request(t, http.MethodPost, stack.apiURL+"/api/orders/"+id+"/reject", ""),
		request(t, http.MethodPost, stack.apiURL+"/api/inventory/MUG-CERAMIC/adjustments", `{"warehouse":"eu-west","delta":5,"reason":"free mugs"}`),
		request(t, http.MethodGet, stack.apiURL+"/api/inventory/MUG-CERAMIC/events", ""),
		request(t, http.MethodGet, stack.apiURL+"/api/reservations/"+workflows.ReservationID(id), ""),
		request(t, http.MethodGet, stack.apiURL+"/api/notifications?order_id="+id, ""),
		request(t, http.MethodGet, stack.apiURL+"/api/notifications/"+id+"-completed", ""),
		request(t, http.MethodPost, stack.apiURL+"/api/notifications/"+id+"-completed/retry", ""),
	} {
		status, hdr, body := do(t, req)
		require.Equal(t, http.StatusForbidden, status, "%s %s: %v", req.Method, req.URL.Path, body)
		require.Equal(t, "application/problem+json", hdr.Get("Content-Type"))
		require.Empty(t, hdr.Get("WWW-Authenticate"), "signed in, just not allowed")
	}
	status, _, o := get(t, "/api/orders/"+id)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, string(orders.StatusAwaitingApproval), o["status"], "neither approved nor rejected")
	after, _ := stockOf(t, "MUG-CERAMIC")
	require.Equal(t, onHand, after, "no stock was adjusted")

	status, _, body := post(t, "/api/orders/"+id+"/reject", `{"reason":"test over"}`, asAdmin)
	require.Equal(t, http.StatusAccepted, status, "%v", body)
	require.Equal(t, orders.StatusCancelled, waitForFinal(t, id).Status)
}

// Sign-in attempts are counted per email and per client address, across
// replicas, before any password is checked: a replica allowing 3 of each
// shows both limits and that they hold only the guesser back.
func TestSignInAttemptsAreThrottled(t *testing.T) {
	const attempts = 3
	replica := startAPIReplica(t, func(c *config.Stack) {
		c.LoginAttemptsPerAccount, c.LoginAttemptsPerIP = attempts, attempts
	})
	// Accounts made in the store, so no attempt is counted for them yet.
	account := func() string {
		t.Helper()
		email := newEmail("throttle")
		_, err := users.NewStore(stack.db).Create(context.Background(), users.NewAccount{Email: email, Password: testPassword})
		require.NoError(t, err)
		return email
	}
	login := func(email, password, client string) (int, http.Header, map[string]any) {
		t.Helper()
		return do(t, request(t, http.MethodPost, replica+"/api/auth/login", credentials(email, password),
			anonymous, map[string]string{"X-Forwarded-For": client}))
	}
	requireThrottled := func(status int, hdr http.Header, body map[string]any) {
		t.Helper()
		require.Equal(t, http.StatusTooManyRequests, status, "%v", body)
		retry, err := strconv.Atoi(hdr.Get("Retry-After"))
		require.NoError(t, err, "Retry-After %q", hdr.Get("Retry-After"))
		window := config.LoginWindow / attempts
		require.True(t, retry >= 1 && retry <= int(window.Seconds()), "Retry-After %d, the next attempt within %s", retry, window)
		require.Contains(t, body["detail"], "too many sign-in attempts")
	}

	t.Run("per email", func(t *testing.T) {
		// A guesser at one address gets `attempts` tries at an email, then
		// 429 even with the right password.
		victim, guesser := account(), randomClient()
		var refused map[string]any
		for range attempts {
			status, _, body := login(victim, "wrong guess, wrong guess", guesser)
			require.Equal(t, http.StatusUnauthorized, status, "%v", body)
			refused = body
		}
		requireThrottled(login(victim, testPassword, guesser))

		// An unknown email is counted the same: the answers name no accounts.
		nobody, guesser := newEmail("nobody"), randomClient()
		for range attempts {
			status, _, body := login(nobody, "wrong guess, wrong guess", guesser)
			require.Equal(t, http.StatusUnauthorized, status, "%v", body)
			require.Equal(t, refused, body)
		}
		requireThrottled(login(nobody, testPassword, guesser))

		// The owner, elsewhere, still signs in: locking them out takes many
		// addresses, and their sign-in resets the count.
		status, _, body := login(victim, testPassword, randomClient())
		require.Equal(t, http.StatusOK, status, "the owner from another address: %v", body)

		// Guessing from many addresses is bounded too, at ten times the
		// per-address budget.
		for range config.AccountAttemptsAnywhere * attempts {
			status, _, body := login(victim, "wrong guess, wrong guess", randomClient())
			require.Equal(t, http.StatusUnauthorized, status, "%v", body)
		}
		requireThrottled(login(victim, testPassword, randomClient()))
	})

	t.Run("per address", func(t *testing.T) {
		guesser := randomClient()
		for range attempts {
			status, _, body := login(newEmail("sprayed"), "wrong guess, wrong guess", guesser)
			require.Equal(t, http.StatusUnauthorized, status, "%v", body)
		}
		user := account()
		requireThrottled(login(user, testPassword, guesser))
		requireThrottled(do(t, request(t, http.MethodPost, replica+"/api/auth/register", credentials(newEmail("signup"), testPassword),
			anonymous, map[string]string{"X-Forwarded-For": guesser})))

		status, _, body := login(user, testPassword, randomClient())
		require.Equal(t, http.StatusOK, status, "the same account from another address: %v", body)
	})
}
