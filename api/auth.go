package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"time"
	"unicode/utf8"

	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/internal/platform/logging"
	"github.com/orderflow/orderflow/internal/platform/ratelimit"
)

const (
	maxEmailLength = 254
	maxNameLength  = 100
)

func (c Credentials) validate() *httpx.Problem {
	var errs []httpx.FieldError
	if p := emailProblem("email", c.Email); p != nil {
		errs = append(errs, *p)
	}
	if c.Password == "" || len(c.Password) > 4*users.MaxPasswordLength { // no policy: it may predate it
		errs = append(errs, httpx.FieldError{Field: "password", Detail: fmt.Sprintf("is required, at most %d characters", users.MaxPasswordLength)})
	}
	return validationProblem(errs)
}

func (req RegisterRequest) validate() *httpx.Problem {
	var errs []httpx.FieldError
	if p := emailProblem("email", req.Email); p != nil {
		errs = append(errs, *p)
	}
	if err := users.CheckPassword(req.Password); err != nil {
		errs = append(errs, httpx.FieldError{Field: "password", Detail: err.Error()})
	}
	if p := nameProblem(deref(req.Name)); p != nil {
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
const registered = "If this email was not registered yet, its account now exists: sign in with POST /api/auth/login."

// Register is POST /api/auth/register: a customer account. Whether the email
// was free or not, the answer and its timing are the same (the password is
// hashed either way).
func (s *Server) Register(ctx context.Context, req RegisterRequestObject) (RegisterResponseObject, error) {
	body := req.Body
	// Per address only: counting sign-ups against the email would let
	// anyone use up its owner's sign-ins.
	if err := s.allowAttempts(ctx, s.ipAttempt(ctx)); err != nil {
		return nil, err
	}
	u, err := s.Users.Create(ctx, users.NewAccount{Email: body.Email, Password: body.Password, Name: deref(body.Name)})
	switch {
	case errors.Is(err, users.ErrEmailTaken):
		s.Logger.Info("sign-up with a registered email", "request_id", httpx.RequestID(ctx))
	case err != nil:
		return nil, fail("could not create the account", err)
	default:
		s.Logger.Info("account created", "user_id", u.ID, "request_id", httpx.RequestID(ctx))
	}
	var resp Register202JSONResponse
	resp.Body.Detail = registered
	return resp, nil
}

// Login is POST /api/auth/login. A wrong password and an unknown email get
// the same 401, after the same work.
func (s *Server) Login(ctx context.Context, req LoginRequestObject) (LoginResponseObject, error) {
	body := req.Body
	account, anywhere := s.accountAttempt(ctx, body.Email)
	if err := s.allowAttempts(ctx, s.ipAttempt(ctx), account, anywhere); err != nil {
		return nil, err
	}
	u, err := s.Users.Authenticate(ctx, body.Email, body.Password)
	switch {
	case errors.Is(err, users.ErrBadCredentials):
		s.Logger.Info("sign-in refused", "request_id", httpx.RequestID(ctx))
		return nil, httpx.NewProblem(http.StatusUnauthorized, users.ErrBadCredentials.Error())
	case err != nil:
		return nil, fail("could not sign in", err)
	}
	// The owner is in: their own mistypes no longer count.
	for _, a := range []attempt{account, anywhere} {
		if a.counter != nil {
			if err := a.counter.Reset(ctx, a.key); err != nil {
				s.Logger.Warn("could not reset the sign-in count", "request_id", httpx.RequestID(ctx), "error", err)
			}
		}
	}
	refresh, err := s.Users.StartSession(ctx, u.ID, s.RefreshTokenTTL)
	if err != nil {
		return nil, fail("could not start the session", err, "user_id", u.ID)
	}
	s.Logger.Info("signed in", "user_id", u.ID, "role", u.Role, "request_id", httpx.RequestID(ctx))
	tokens, err := s.tokens(u, refresh)
	if err != nil {
		return nil, err
	}
	return Login200JSONResponse{Body: tokens}, nil
}

func (req RefreshRequest) validate() *httpx.Problem {
	if req.RefreshToken == "" || len(req.RefreshToken) > 256 {
		return validationProblem([]httpx.FieldError{{Field: "refresh_token", Detail: "is required"}})
	}
	return nil
}

// RefreshSession is POST /api/auth/refresh: the refresh token for a new
// access token and the next refresh token. A refresh token works once; used
// again, it ends its session for everyone holding one of its tokens.
func (s *Server) RefreshSession(ctx context.Context, req RefreshSessionRequestObject) (RefreshSessionResponseObject, error) {
	u, next, err := s.Users.Refresh(ctx, req.Body.RefreshToken, s.RefreshTokenTTL)
	switch {
	case errors.Is(err, users.ErrRefreshReused):
		s.Logger.Warn("refresh token reused: session revoked", "request_id", httpx.RequestID(ctx))
		fallthrough
	case errors.Is(err, users.ErrInvalidRefresh):
		return nil, httpx.NewProblem(http.StatusUnauthorized, "the refresh token is not valid: sign in again")
	case err != nil:
		return nil, fail("could not refresh the session", err)
	}
	tokens, err := s.tokens(u, next)
	if err != nil {
		return nil, err
	}
	return RefreshSession200JSONResponse{Body: tokens}, nil
}

// Logout is POST /api/auth/logout: it ends the refresh token's session. The
// access tokens already out expire by themselves within AccessTokenTTL.
func (s *Server) Logout(ctx context.Context, req LogoutRequestObject) (LogoutResponseObject, error) {
	if err := s.Users.EndSession(ctx, req.Body.RefreshToken); err != nil {
		return nil, fail("could not end the session", err)
	}
	return Logout204Response{}, nil
}

// jwksCaching lets clients keep the keys a while: a new key verifies only
// tokens it signed, which come after it was published.
var jwksCaching = "public, max-age=300"

// GetJWKS is GET /api/auth/jwks.json: the public keys that verify access
// tokens.
func (s *Server) GetJWKS(context.Context, GetJWKSRequestObject) (GetJWKSResponseObject, error) {
	resp := GetJWKS200JSONResponse{Headers: GetJWKS200ResponseHeaders{CacheControl: &jwksCaching}}
	resp.Body.Keys = as[[]JWK](s.Keys.JWKS())
	return resp, nil
}

// tokens signs an access token for u, beside its refresh token (RFC 6749
// section 5.1).
func (s *Server) tokens(u users.User, refresh string) (TokenResponse, error) {
	access, err := s.Keys.Issue(auth.Principal{UserID: u.ID, Role: u.Role}, time.Now(), s.AccessTokenTTL)
	if err != nil {
		return TokenResponse{}, fail("could not sign the access token", err, "user_id", u.ID)
	}
	return TokenResponse{AccessToken: access, TokenType: Bearer, ExpiresIn: int(s.AccessTokenTTL.Seconds()),
		RefreshToken: refresh, User: as[User](u)}, nil
}

// actor names the caller in audit records, "admin:<user id>": the order
// decisions in workflow histories, the stock ledger's adjustments.
func actor(ctx context.Context) string {
	p, _ := auth.FromContext(ctx)
	return p.Role + ":" + p.UserID
}

var throttleOutage = &logging.Sampler{Every: 10 * time.Second}

// attempt is one count an attempt adds to: a counter and the key in it.
type attempt struct {
	counter *ratelimit.Redis
	key     string
}

func (s *Server) ipAttempt(ctx context.Context) attempt {
	return attempt{s.Attempts.PerIP, ratelimit.IPKey(clientAddr(ctx))}
}

// accountAttempt returns the counts of a sign-in to email: from this
// address, and from anywhere. The email is hashed (no addresses in Redis)
// and counted whether or not it has an account, which must not show.
func (s *Server) accountAttempt(ctx context.Context, email string) (fromHere, anywhere attempt) {
	sum := sha256.Sum256([]byte(users.NormalizeEmail(email)))
	account := "email:" + hex.EncodeToString(sum[:])
	return attempt{s.Attempts.PerAccount, account + ":" + s.ipAttempt(ctx).key},
		attempt{s.Attempts.PerAccountAnywhere, account}
}

// allowAttempts counts one attempt in each of attempts and is a 429
// problem when any is over its limit. It runs before the password is
// hashed, so a flood of guesses costs little.
func (s *Server) allowAttempts(ctx context.Context, attempts ...attempt) error {
	for _, a := range attempts {
		if a.counter == nil {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		res, err := a.counter.Allow(actx, a.key)
		cancel()
		if err != nil {
			// Refuse rather than fail open: unthrottled, the only bound on
			// password guessing would be the hashing itself.
			if throttleOutage.Allow() {
				s.Logger.Warn("sign-in throttle unavailable; refusing sign-ins", "request_id", httpx.RequestID(ctx), "error", err)
			}
			p := httpx.NewProblem(http.StatusServiceUnavailable, "sign-in is unavailable for a moment; retry shortly")
			p.RetryAfter = 5
			return p
		}
		if !res.Allowed {
			retry := max(int(res.RetryAfter.Seconds()+0.999), 1)
			p := httpx.NewProblem(http.StatusTooManyRequests, fmt.Sprintf("too many sign-in attempts; retry in %d s", retry))
			p.RetryAfter = retry
			return p
		}
	}
	return nil
}
