package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/logging"
	"github.com/orderflow/orderflow/internal/platform/ratelimit"
)

// authRoutes mounts sign-up, sign-in and the session endpoints, open to
// everyone, and the caller's own profile.
func (s *Server) authRoutes(a *mux.Router) {
	handle(a, http.MethodPost, "/auth/register", auth.Public, s.register)
	handle(a, http.MethodPost, "/auth/login", auth.Public, s.login)
	handle(a, http.MethodPost, "/auth/refresh", auth.Public, s.refresh)
	handle(a, http.MethodPost, "/auth/logout", auth.Public, s.logout)
	handle(a, http.MethodGet, "/auth/jwks.json", auth.Public, s.jwks)
	handle(a, http.MethodGet, "/users/me", auth.Signed, s.me)
	handle(a, http.MethodPatch, "/users/me", auth.Signed, s.updateMe)
}

const (
	maxEmailLength = 254
	maxNameLength  = 100
)

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (c credentials) validate() *httpx.Problem {
	var errs []httpx.FieldError
	if p := emailProblem("email", c.Email); p != nil {
		errs = append(errs, *p)
	}
	if c.Password == "" || len(c.Password) > 4*users.MaxPasswordLength { // no policy: it may predate it
		errs = append(errs, httpx.FieldError{Field: "password", Detail: fmt.Sprintf("is required, at most %d characters", users.MaxPasswordLength)})
	}
	return validationProblem(errs)
}

type registerRequest struct {
	credentials
	Name string `json:"name"`
}

func (req registerRequest) validate() *httpx.Problem {
	var errs []httpx.FieldError
	if p := emailProblem("email", req.Email); p != nil {
		errs = append(errs, *p)
	}
	if err := users.CheckPassword(req.Password); err != nil {
		errs = append(errs, httpx.FieldError{Field: "password", Detail: err.Error()})
	}
	if p := nameProblem(req.Name); p != nil {
		errs = append(errs, *p)
	}
	return validationProblem(errs)
}

func emailProblem(field, email string) *httpx.FieldError {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > maxEmailLength {
		return &httpx.FieldError{Field: field, Detail: "must be a plain email address such as a@example.com"}
	}
	return nil
}

func nameProblem(name string) *httpx.FieldError {
	if utf8.RuneCountInString(name) > maxNameLength || !httpx.IsText(name) {
		return &httpx.FieldError{Field: "name", Detail: fmt.Sprintf("must be at most %d characters of text", maxNameLength)}
	}
	return nil
}

// registered is the answer to every well-formed sign-up, new email or not:
// anything else would tell strangers who has an account.
var registered = map[string]string{
	"detail": "If this email was not registered yet, its account now exists: sign in with POST /api/auth/login.",
}

// register is POST /api/auth/register: a customer account. Whether the email
// was free or not, the answer and its timing are the same (the password is
// hashed either way).
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	// Per address only: counting sign-ups against the email would let
	// anyone use up its owner's sign-ins.
	if !decodeValid(w, r, &req) || !s.allowAttempts(w, r, s.ipAttempt(r)) {
		return
	}
	u, err := s.Users.Create(r.Context(), users.NewAccount{Email: req.Email, Password: req.Password, Name: req.Name})
	switch {
	case errors.Is(err, users.ErrEmailTaken):
		s.Logger.Info("sign-up with a registered email", "request_id", httpx.RequestID(r.Context()))
	case err != nil:
		s.internalError(w, r, "could not create the account", err)
		return
	default:
		s.Logger.Info("account created", "user_id", u.ID, "request_id", httpx.RequestID(r.Context()))
	}
	httpx.WriteJSON(w, http.StatusAccepted, registered)
}

// tokenResponse is what sign-in and refresh answer (RFC 6749 section 5.1).
type tokenResponse struct {
	AccessToken  string     `json:"access_token"`
	TokenType    string     `json:"token_type"`
	ExpiresIn    int        `json:"expires_in"` // seconds
	RefreshToken string     `json:"refresh_token"`
	User         users.User `json:"user"`
}

// login is POST /api/auth/login. A wrong password and an unknown email get
// the same 401, after the same work.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req credentials
	if !decodeValid(w, r, &req) {
		return
	}
	account, anywhere := s.accountAttempt(r, req.Email)
	if !s.allowAttempts(w, r, s.ipAttempt(r), account, anywhere) {
		return
	}
	u, err := s.Users.Authenticate(r.Context(), req.Email, req.Password)
	switch {
	case errors.Is(err, users.ErrBadCredentials):
		s.Logger.Info("sign-in refused", "request_id", httpx.RequestID(r.Context()))
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, users.ErrBadCredentials.Error()))
		return
	case err != nil:
		s.internalError(w, r, "could not sign in", err)
		return
	}
	// The owner is in: their own mistypes no longer count.
	for _, a := range []attempt{account, anywhere} {
		if a.counter != nil {
			if err := a.counter.Reset(r.Context(), a.key); err != nil {
				s.Logger.Warn("could not reset the sign-in count", "request_id", httpx.RequestID(r.Context()), "error", err)
			}
		}
	}
	refresh, err := s.Users.StartSession(r.Context(), u.ID, s.RefreshTokenTTL)
	if err != nil {
		s.internalError(w, r, "could not start the session", err, "user_id", u.ID)
		return
	}
	s.Logger.Info("signed in", "user_id", u.ID, "role", u.Role, "request_id", httpx.RequestID(r.Context()))
	s.writeTokens(w, r, u, refresh)
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (req refreshRequest) validate() *httpx.Problem {
	if req.RefreshToken == "" || len(req.RefreshToken) > 256 {
		return validationProblem([]httpx.FieldError{{Field: "refresh_token", Detail: "is required"}})
	}
	return nil
}

// refresh is POST /api/auth/refresh: the refresh token for a new access
// token and the next refresh token. A refresh token works once; used again,
// it ends its session for everyone holding one of its tokens.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if !decodeValid(w, r, &req) {
		return
	}
	u, next, err := s.Users.Refresh(r.Context(), req.RefreshToken, s.RefreshTokenTTL)
	switch {
	case errors.Is(err, users.ErrRefreshReused):
		s.Logger.Warn("refresh token reused: session revoked", "request_id", httpx.RequestID(r.Context()))
		fallthrough
	case errors.Is(err, users.ErrInvalidRefresh):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, "the refresh token is not valid: sign in again"))
		return
	case err != nil:
		s.internalError(w, r, "could not refresh the session", err)
		return
	}
	s.writeTokens(w, r, u, next)
}

// logout is POST /api/auth/logout: it ends the refresh token's session. The
// access tokens already out expire by themselves within AccessTokenTTL.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if !decodeValid(w, r, &req) {
		return
	}
	if err := s.Users.EndSession(r.Context(), req.RefreshToken); err != nil {
		s.internalError(w, r, "could not end the session", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// jwks is GET /api/auth/jwks.json: the public keys that verify access tokens.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"keys": s.Keys.JWKS()})
}

func (s *Server) writeTokens(w http.ResponseWriter, r *http.Request, u users.User, refresh string) {
	access, err := s.Keys.Issue(auth.Principal{UserID: u.ID, Role: u.Role}, time.Now(), s.AccessTokenTTL)
	if err != nil {
		s.internalError(w, r, "could not sign the access token", err, "user_id", u.ID)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, tokenResponse{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.AccessTokenTTL.Seconds()),
		RefreshToken: refresh, User: u,
	})
}

// actor names the caller in audit records, "admin:<user id>": the order
// decisions in workflow histories, the stock ledger's adjustments.
func actor(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.Role + ":" + p.UserID
}

var throttleOutage = &logging.Sampler{Every: 10 * time.Second}

// attempt is one count an attempt adds to: a counter and the key in it.
type attempt struct {
	counter *ratelimit.Redis
	key     string
}

func (s *Server) ipAttempt(r *http.Request) attempt {
	return attempt{s.Attempts.PerIP, ratelimit.IPKey(httpx.ClientIP(s.TrustedProxies)(r))}
}

// accountAttempt returns the counts of a sign-in to email: from this
// address, and from anywhere. The email is hashed (no addresses in Redis)
// and counted whether or not it has an account, which must not show.
func (s *Server) accountAttempt(r *http.Request, email string) (fromHere, anywhere attempt) {
	sum := sha256.Sum256([]byte(users.NormalizeEmail(email)))
	account := "email:" + hex.EncodeToString(sum[:])
	return attempt{s.Attempts.PerAccount, account + ":" + s.ipAttempt(r).key},
		attempt{s.Attempts.PerAccountAnywhere, account}
}

// allowAttempts counts one attempt in each of attempts and answers 429 when
// any is over its limit. It runs before the password is hashed, so a flood
// of guesses costs little.
func (s *Server) allowAttempts(w http.ResponseWriter, r *http.Request, attempts ...attempt) bool {
	for _, a := range attempts {
		if a.counter == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), 250*time.Millisecond)
		res, err := a.counter.Allow(ctx, a.key)
		cancel()
		if err != nil {
			// Refuse rather than fail open: unthrottled, the only bound on
			// password guessing would be the hashing itself.
			if throttleOutage.Allow() {
				s.Logger.Warn("sign-in throttle unavailable; refusing sign-ins", "request_id", httpx.RequestID(r.Context()), "error", err)
			}
			w.Header().Set("Retry-After", "5")
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, "sign-in is unavailable for a moment; retry shortly"))
			return false
		}
		if !res.Allowed {
			retry := max(int(res.RetryAfter.Seconds()+0.999), 1)
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusTooManyRequests,
				fmt.Sprintf("too many sign-in attempts; retry in %d s", retry)))
			return false
		}
	}
	return true
}
