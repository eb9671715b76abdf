package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// preferenceChannels are the channels a user's profile has addresses for.
var preferenceChannels = []string{notifications.ChannelEmail, notifications.ChannelSMS}

// me is GET /api/users/me: the caller's profile.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	if u, ok := s.currentUser(w, r); ok {
		httpx.WriteJSON(w, http.StatusOK, u)
	}
}

// currentUser reads the caller's account; one deleted since its token was
// signed is a 401, so the client signs in again.
func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) (users.User, bool) {
	p, _ := auth.FromContext(r.Context())
	u, err := s.Users.Get(r.Context(), p.UserID)
	switch {
	case errors.Is(err, users.ErrNotFound):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, "the account no longer exists"))
		return u, false
	case err != nil:
		s.internalError(w, r, "could not read the account", err, "user_id", p.UserID)
		return u, false
	}
	return u, true
}

// profilePatch is the body of PATCH /api/users/me (JSON merge patch, RFC
// 7396): the fields present change, the others stay.
type profilePatch struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	// CurrentPassword must come with a new email: the email signs the
	// account in, so a stolen access token must not be enough to take it.
	CurrentPassword string  `json:"current_password"`
	Phone           *string `json:"phone"`
	TimeZone        *string `json:"time_zone"`
	Notifications   *struct {
		Channels []string `json:"channels"`
		// QuietHours absent leaves them unchanged; null means none.
		QuietHours httpx.Optional[*notifications.QuietHours] `json:"quiet_hours"`
	} `json:"notification_preferences"`
}

func (req profilePatch) validate() *httpx.Problem {
	var errs []httpx.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, httpx.FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
	}
	if req.Name != nil {
		if p := nameProblem(*req.Name); p != nil {
			errs = append(errs, *p)
		}
	}
	if req.Email != nil {
		if p := emailProblem("email", *req.Email); p != nil {
			errs = append(errs, *p)
		}
		if req.CurrentPassword == "" {
			add("current_password", "is required to change the email")
		}
	}
	if req.Phone != nil && *req.Phone != "" && !e164.MatchString(*req.Phone) {
		add("phone", "must be an E.164 number such as +15005550006, or empty")
	}
	if req.TimeZone != nil {
		if _, err := time.LoadLocation(*req.TimeZone); err != nil || *req.TimeZone == "" || *req.TimeZone == "Local" {
			add("time_zone", "must be an IANA time zone such as Europe/Paris")
		}
	}
	if n := req.Notifications; n != nil {
		if n.Channels != nil {
			if len(n.Channels) == 0 {
				add("notification_preferences.channels", "must name at least one channel")
			}
			for i, c := range n.Channels {
				if !slices.Contains(preferenceChannels, c) || slices.Index(n.Channels, c) != i {
					add(fmt.Sprintf("notification_preferences.channels[%d]", i), "must be one of email, sms, each at most once")
				}
			}
		}
		if q := n.QuietHours.Value; q != nil {
			start, err1 := time.Parse("15:04", q.Start)
			end, err2 := time.Parse("15:04", q.End)
			if err1 != nil || err2 != nil || start.Equal(end) {
				add("notification_preferences.quiet_hours", "must have a start and an end, different, as HH:MM")
			}
		}
	}
	return validationProblem(errs)
}

// updateMe is PATCH /api/users/me.
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var req profilePatch
	if !decodeValid(w, r, &req) {
		return
	}
	patch := users.Patch{Name: req.Name, Email: req.Email, Phone: req.Phone, TimeZone: req.TimeZone}
	if n := req.Notifications; n != nil {
		patch.Channels = n.Channels
		patch.SetQuietHours, patch.QuietHours = n.QuietHours.Set, n.QuietHours.Value
	}
	if req.Email != nil && !s.confirmPassword(w, r, req.CurrentPassword) {
		return
	}
	p, _ := auth.FromContext(r.Context())
	u, err := s.Users.Update(r.Context(), p.UserID, patch)
	switch {
	case errors.Is(err, users.ErrEmailTaken):
		// Only after the password and within the sign-in throttle: this
		// says an address has an account to someone who proved who they are.
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusConflict, "that email signs in another account"))
	case errors.Is(err, users.ErrNotFound):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusUnauthorized, "the account no longer exists"))
	case err != nil:
		s.internalError(w, r, "could not update the account", err, "user_id", p.UserID)
	default:
		s.Logger.Info("profile updated", "user_id", u.ID, "request_id", httpx.RequestID(r.Context()))
		httpx.WriteJSON(w, http.StatusOK, u)
	}
}

// confirmPassword checks the caller's current password, counted as a
// sign-in attempt on their account, and answers 403 when it is wrong.
func (s *Server) confirmPassword(w http.ResponseWriter, r *http.Request, password string) bool {
	u, ok := s.currentUser(w, r)
	if !ok {
		return false
	}
	account, anywhere := s.accountAttempt(r, u.Email)
	if !s.allowAttempts(w, r, s.ipAttempt(r), account, anywhere) {
		return false
	}
	_, err := s.Users.Authenticate(r.Context(), u.Email, password)
	switch {
	case errors.Is(err, users.ErrBadCredentials):
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusForbidden, "current_password is not the account's password"))
		return false
	case err != nil:
		s.internalError(w, r, "could not check the password", err, "user_id", u.ID)
		return false
	}
	return true
}
