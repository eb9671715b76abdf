package frontend

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// The dashboard's server is the browser's backend: it signs the user in at
// the API, keeps their tokens in a server-side session, and calls the API
// with them. The browser holds the session's ID in an HttpOnly cookie it
// cannot read, and a CSRF token it sends back as CSRFHeader on every
// request that changes something. So no script on the page, injected or
// not, can take a token away, and no other site can act as the user: the
// cookie is SameSite=Lax, CrossOriginProtection refuses cross-site
// requests by Sec-Fetch-Site and Origin, and the CSRF token is checked
// besides, for browsers that send neither.
type signIn struct {
	tokens tokenClient
	store  sessions
	// secure marks the cookie Secure, and names it __Host-: outside
	// development the dashboard is served over HTTPS.
	secure bool
	logger *slog.Logger
}

// CSRFHeader carries the session's CSRF token on the requests that change
// something.
const CSRFHeader = "X-CSRF-Token"

// refreshAhead renews an access token this long before it expires, so the
// API never sees one expire on the way.
const refreshAhead = 30 * time.Second

// refreshWait bounds how long a request waits for another one's refresh of
// the same session, and how long a refresh holds the session's lock. The
// refresh itself (refreshTimeout, the API's answer and Redis' write) ends
// well before the lock does, so no other request can take the lock while
// the refresh token may still be in use.
const (
	refreshWait    = 10 * time.Second
	refreshTimeout = 5 * time.Second
)

func (s *signIn) cookieName() string {
	if s.secure {
		return "__Host-orderflow-session"
	}
	return "orderflow-session"
}

// setCookie sets the session's cookie, or with maxAge -1 clears it. The
// cookie lasts as long as the browser: the session's own end is kept here
// (sessionIdleTimeout), renewed with its use, which a cookie's date set at
// sign-in would not be.
func (s *signIn) setCookie(w http.ResponseWriter, id string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: id, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// sessionAnswer is what the page learns of its session: the user, and the
// CSRF token to send back.
type sessionAnswer struct {
	User      json.RawMessage `json:"user"`
	CSRFToken string          `json:"csrf_token"`
}

// create signs in (POST /session, the API's Credentials): the API's answer
// to a refused or throttled attempt is passed on as it is.
func (s *signIn) create(w http.ResponseWriter, r *http.Request) {
	if p := httpx.CheckJSONContentType(r); p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	body, p := httpx.ReadBody(w, r)
	if p != nil {
		httpx.WriteProblem(w, r, p)
		return
	}
	if !json.Valid(body) {
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadRequest, "request body must be a JSON object"))
		return
	}
	t, err := s.tokens.login(r.Context(), r, body)
	if err != nil {
		s.apiFailed(w, r, "sign-in", err)
		return
	}
	s.end(r) // a sign-in replaces the session this browser had
	sess := t.session(time.Now(), randomToken())
	id, err := s.store.create(r.Context(), sess)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	s.setCookie(w, id, 0)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, sessionAnswer{User: sess.User, CSRFToken: sess.CSRF})
}

// show answers the signed-in session (GET /session), or 204 without one:
// a reloaded page picks its session up here. (Not a 401: asking whether
// one is signed in is no error, and browsers log every 4xx as one.)
func (s *signIn) show(w http.ResponseWriter, r *http.Request) {
	_, sess, err := s.current(r)
	if errors.Is(err, errNoSession) {
		s.setCookie(w, "", -1)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		s.sessionFailed(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the user and the CSRF token are for this page alone
	httpx.WriteJSON(w, http.StatusOK, sessionAnswer{User: sess.User, CSRFToken: sess.CSRF})
}

// remove signs out (DELETE /session): the session ends here, and at the
// API, which revokes its refresh token.
func (s *signIn) remove(w http.ResponseWriter, r *http.Request) {
	// The stored session's CSRF token, as it is: signing out needs no
	// fresh access token.
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
		sess, err := s.store.get(r.Context(), c.Value)
		switch {
		case err == nil && !s.csrfOK(r, sess):
			httpx.WriteProblem(w, r, csrfProblem)
			return
		case err != nil && !errors.Is(err, errNoSession):
			s.storeFailed(w, r, err)
			return
		}
	}
	s.end(r)
	s.setCookie(w, "", -1)
	w.WriteHeader(http.StatusNoContent)
}

// end forgets r's session, if it has one, and revokes it at the API.
func (s *signIn) end(r *http.Request) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return
	}
	sess, err := s.store.get(r.Context(), c.Value)
	if err != nil {
		return
	}
	if err := s.store.delete(r.Context(), c.Value); err != nil {
		s.logger.Warn("session not deleted", "request_id", httpx.RequestID(r.Context()), "error", err)
	}
	if err := s.tokens.logout(r.Context(), r, sess.RefreshToken); err != nil {
		// Its refresh token expires by itself, and nobody holds it now.
		s.logger.Warn("session not revoked at the API", "request_id", httpx.RequestID(r.Context()), "error", err)
	}
}

// current is r's session with an access token good for a while yet,
// errNoSession when there is none (or it ended at the API).
func (s *signIn) current(r *http.Request) (string, session, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return "", session{}, errNoSession
	}
	sess, err := s.store.get(r.Context(), c.Value)
	if err != nil {
		return "", sess, err
	}
	sess, err = s.fresh(r, c.Value, sess)
	return c.Value, sess, err
}

// fresh refreshes sess's tokens when its access token is about to expire.
// One request refreshes a session at a time, across replicas (the API
// revokes a session whose refresh token is used twice): the others wait
// for its result.
func (s *signIn) fresh(r *http.Request, id string, sess session) (session, error) {
	ctx := r.Context()
	giveUp := time.Now().Add(refreshWait)
	for time.Until(sess.AccessExpires) < refreshAhead {
		owner := randomToken()
		locked, err := s.store.lockRefresh(ctx, id, owner, refreshWait)
		if err != nil {
			return sess, err
		}
		if locked {
			return s.refresh(r, id, owner)
		}
		if time.Now().After(giveUp) {
			return sess, errors.New("the session's refresh did not finish in time")
		}
		select {
		case <-ctx.Done():
			return sess, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if sess, err = s.store.get(ctx, id); err != nil {
			return sess, err
		}
	}
	return sess, nil
}

// refresh trades the session's refresh token for new tokens, under the
// session's refresh lock. It runs to its end even when the browser gives
// up on the request: once the API has rotated the refresh token, the new
// one must reach the session, or the next refresh would use the spent one
// and the API would revoke the session.
func (s *signIn) refresh(r *http.Request, id, owner string) (session, error) {
	defer func() { _ = s.store.unlockRefresh(context.WithoutCancel(r.Context()), id, owner) }()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), refreshTimeout)
	defer cancel()
	sess, err := s.store.get(ctx, id) // another replica may have refreshed it just now
	if err != nil || time.Until(sess.AccessExpires) >= refreshAhead {
		return sess, err
	}
	t, err := s.tokens.refresh(ctx, r, sess.RefreshToken)
	var refused *apiAnswer
	if errors.As(err, &refused) && refused.status == http.StatusUnauthorized {
		// Expired, revoked, or signed out elsewhere: sign in again.
		_ = s.store.delete(ctx, id)
		return sess, errNoSession
	}
	if err != nil {
		if time.Now().Before(sess.AccessExpires) {
			return sess, nil // the API is busy or away: the token still works a while
		}
		return sess, err
	}
	next := t.session(time.Now(), sess.CSRF)
	// The spent refresh token is no use any more: the new one is kept
	// whatever it takes, within the refresh's time.
	for {
		if err = s.store.put(ctx, id, next); err == nil || ctx.Err() != nil {
			return next, err
		}
		s.logger.Warn("refreshed session not saved yet; trying again", "request_id", httpx.RequestID(r.Context()), "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// csrfOK reports whether r carries sess's CSRF token.
func (s *signIn) csrfOK(r *http.Request, sess session) bool {
	got := r.Header.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

var csrfProblem = httpx.NewProblem(http.StatusForbidden, "missing or wrong "+CSRFHeader+": reload the page")

// sessionFailed answers a request whose session could not be had: the API
// refused its refresh for a reason other than its end, or did not answer,
// or Redis did not.
func (s *signIn) sessionFailed(w http.ResponseWriter, r *http.Request, err error) {
	var answer *apiAnswer
	if errors.As(err, &answer) || errors.Is(err, errAPIUnreachable) {
		s.apiFailed(w, r, "refresh", err)
		return
	}
	s.storeFailed(w, r, err)
}

// apiFailed passes on the API's answer to a sign-in or refresh that did
// not succeed, or says the API is not reachable.
func (s *signIn) apiFailed(w http.ResponseWriter, r *http.Request, what string, err error) {
	var answer *apiAnswer
	if !errors.As(err, &answer) {
		s.logger.Warn("api unreachable", "during", what, "request_id", httpx.RequestID(r.Context()), "error", err)
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusBadGateway, "the API is not reachable"))
		return
	}
	for _, h := range []string{"Content-Type", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"} {
		if v := answer.header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(answer.status)
	_, _ = w.Write(answer.body)
}

func (s *signIn) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.Error("sessions unavailable", "request_id", httpx.RequestID(r.Context()), "error", err)
	p := httpx.NewProblem(http.StatusServiceUnavailable, "sessions are unavailable for a moment: try again")
	p.RetryAfter = 2
	httpx.WriteProblem(w, r, p)
}

// accessTokenKey carries the session's access token from authorize to the
// proxy's Rewrite.
type accessTokenKey struct{}

// authorize lets r through to the API as its session's user: with the
// session's access token, once r shows the session's CSRF token if it
// changes something. A request without a session goes on without one, for
// the API's public endpoints (the catalogue, sign-up).
func (s *signIn) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sess, err := s.current(r)
		switch {
		case errors.Is(err, errNoSession):
			next.ServeHTTP(w, r)
		case err != nil:
			s.sessionFailed(w, r, err)
		case !safeMethod(r.Method) && !s.csrfOK(r, sess):
			httpx.WriteProblem(w, r, csrfProblem)
		default:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), accessTokenKey{}, sess.AccessToken)))
		}
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
