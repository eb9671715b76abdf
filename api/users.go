package api

import (
	"context"
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

// preferenceChannels are the channels a user's profile has addresses for:
// push goes to their registered devices (devices.go).
var preferenceChannels = []string{notifications.ChannelEmail, notifications.ChannelSMS, notifications.ChannelPush}

// GetMe is GET /api/users/me: the caller's profile.
func (s *Server) GetMe(ctx context.Context, _ GetMeRequestObject) (GetMeResponseObject, error) {
	u, err := s.currentUser(ctx)
	if err != nil {
		return nil, err
	}
	return GetMe200JSONResponse{Body: as[User](u)}, nil
}

// currentUser reads the caller's account; one deleted since its token was
// signed is a 401, so the client signs in again.
func (s *Server) currentUser(ctx context.Context) (users.User, error) {
	p, _ := auth.FromContext(ctx)
	u, err := s.Users.Get(ctx, p.UserID)
	switch {
	case errors.Is(err, users.ErrNotFound):
		return u, httpx.NewProblem(http.StatusUnauthorized, "the account no longer exists")
	case err != nil:
		return u, fail("could not read the account", err, "user_id", p.UserID)
	}
	return u, nil
}

// profilePatch is the body of PATCH /api/users/me (JSON merge patch, RFC
// 7396): the fields present change, the others stay. It is the one body not
// generated (openapi.yaml names it with x-go-type): a merge patch tells an
// absent quiet_hours from a null one, which generated pointers cannot.
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
					add(fmt.Sprintf("notification_preferences.channels[%d]", i), "must be one of email, sms, push, each at most once")
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

// UpdateMe is PATCH /api/users/me.
func (s *Server) UpdateMe(ctx context.Context, req UpdateMeRequestObject) (UpdateMeResponseObject, error) {
	body := req.Body
	patch := users.Patch{Name: body.Name, Email: body.Email, Phone: body.Phone, TimeZone: body.TimeZone}
	if n := body.Notifications; n != nil {
		patch.Channels = n.Channels
		patch.SetQuietHours, patch.QuietHours = n.QuietHours.Set, n.QuietHours.Value
	}
	if body.Email != nil {
		if err := s.confirmPassword(ctx, body.CurrentPassword); err != nil {
			return nil, err
		}
	}
	p, _ := auth.FromContext(ctx)
	u, err := s.Users.Update(ctx, p.UserID, patch)
	switch {
	case errors.Is(err, users.ErrEmailTaken):
		// Only after the password and within the sign-in throttle: this
		// says an address has an account to someone who proved who they are.
		return nil, httpx.NewProblem(http.StatusConflict, "that email signs in another account")
	case errors.Is(err, users.ErrNotFound):
		return nil, httpx.NewProblem(http.StatusUnauthorized, "the account no longer exists")
	case err != nil:
		return nil, fail("could not update the account", err, "user_id", p.UserID)
	}
	s.Logger.Info("profile updated", "user_id", u.ID, "request_id", httpx.RequestID(ctx))
	return UpdateMe200JSONResponse{Body: as[User](u)}, nil
}

// confirmPassword checks the caller's current password, counted as a
// sign-in attempt on their account: a 403 problem when it is wrong.
func (s *Server) confirmPassword(ctx context.Context, password string) error {
	u, err := s.currentUser(ctx)
	if err != nil {
		return err
	}
	account, anywhere := s.accountAttempt(ctx, u.Email)
	if err := s.allowAttempts(ctx, s.ipAttempt(ctx), account, anywhere); err != nil {
		return err
	}
	_, err = s.Users.Authenticate(ctx, u.Email, password)
	switch {
	case errors.Is(err, users.ErrBadCredentials):
		return httpx.NewProblem(http.StatusForbidden, "current_password is not the account's password")
	case err != nil:
		return fail("could not check the password", err, "user_id", u.ID)
	}
	return nil
}
