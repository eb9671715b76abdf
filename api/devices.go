package api

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/auth"
	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// PushSettings are how browsers subscribe to Web Push.
type PushSettings struct {
	// VAPIDPublicKey is the applicationServerKey they subscribe with.
	VAPIDPublicKey string
	// LoopbackEndpoints lets an endpoint be http on a loopback address:
	// development's sandbox push service. Anywhere else a push service is
	// https.
	LoopbackEndpoints bool
}

const maxEndpointLength = 2048

// validDeviceToken is the shape of FCM and APNs registration tokens,
// loosely: what the push service takes.
var validDeviceToken = regexp.MustCompile(`^[A-Za-z0-9_:.-]{8,1000}$`)

// device checks a registration and returns the device it registers.
func (req DeviceRegistration) device(loopbackEndpoints bool) (users.Device, *httpx.Problem) {
	var errs []httpx.FieldError
	add := func(field, detail string) { errs = append(errs, httpx.FieldError{Field: field, Detail: detail}) }
	d := users.Device{Type: string(req.Type), Endpoint: deref(req.Endpoint), Token: deref(req.Token)}
	if req.Platform != nil {
		d.Platform = string(*req.Platform)
	}
	switch req.Type {
	case WebPush:
		if !validEndpoint(d.Endpoint, loopbackEndpoints) {
			detail := "must be the push service's https URL"
			if loopbackEndpoints {
				detail += " (or http on a loopback address)"
			}
			add("endpoint", detail)
		}
		if req.Keys == nil {
			add("keys", "are required: the subscription's p256dh and auth")
		} else {
			d.P256dh, d.Auth = req.Keys.P256dh, req.Keys.Auth
			if key := decodeBase64URL(d.P256dh); key == nil || !isP256Point(key) {
				add("keys.p256dh", "must be an uncompressed P-256 public key (65 bytes) in base64url")
			}
			if len(decodeBase64URL(d.Auth)) != 16 {
				add("keys.auth", "must be 16 bytes in base64url")
			}
		}
		if req.Platform != nil || req.Token != nil {
			add("type", "web_push takes an endpoint and keys, not a platform or token")
		}
	case Mobile:
		if d.Platform != string(Ios) && d.Platform != string(Android) {
			add("platform", "must be ios or android")
		}
		if !validDeviceToken.MatchString(d.Token) {
			add("token", "must be the app's registration token: 8 to 1000 of A-Za-z0-9_:.-")
		}
		if req.Endpoint != nil || req.Keys != nil {
			add("type", "mobile takes a platform and token, not an endpoint or keys")
		}
	default:
		add("type", "must be web_push or mobile")
	}
	return d, validationProblem(errs)
}

// validEndpoint reports whether endpoint is a push service's URL: https,
// or http on loopback when allowed.
func validEndpoint(endpoint string, loopback bool) bool {
	u, err := url.Parse(endpoint)
	if err != nil || len(endpoint) > maxEndpointLength || u.Host == "" || u.User != nil || !httpx.IsText(endpoint) {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	addr, err := netip.ParseAddr(u.Hostname())
	return loopback && u.Scheme == "http" && (u.Hostname() == "localhost" || err == nil && addr.IsLoopback())
}

// decodeBase64URL reads base64url with or without padding, as browsers
// give the keys; nil when it is not.
func decodeBase64URL(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil
	}
	return b
}

func isP256Point(b []byte) bool {
	_, err := ecdh.P256().NewPublicKey(b)
	return err == nil && len(b) == 65
}

// RegisterDevice is POST /api/users/me/devices.
func (s *Server) RegisterDevice(ctx context.Context, req RegisterDeviceRequestObject) (RegisterDeviceResponseObject, error) {
	d, p := req.Body.device(s.Push.LoopbackEndpoints)
	if p != nil {
		return nil, p
	}
	caller, _ := auth.FromContext(ctx)
	d, created, err := s.Users.RegisterDevice(ctx, caller.UserID, d)
	switch {
	case errors.Is(err, users.ErrTooManyDevices):
		return nil, httpx.NewProblem(http.StatusConflict, err.Error()+": delete one first")
	case errors.Is(err, users.ErrDeviceTaken):
		return nil, httpx.NewProblem(http.StatusConflict, err.Error())
	case errors.Is(err, users.ErrNotFound):
		return nil, httpx.NewProblem(http.StatusUnauthorized, "the account no longer exists")
	case err != nil:
		return nil, fail("could not register the device", err, "user_id", caller.UserID)
	}
	if !created {
		return RegisterDevice200JSONResponse{Body: as[Device](d)}, nil
	}
	s.Logger.Info("device registered", "user_id", caller.UserID, "device_id", d.ID, "device_type", d.Type,
		"request_id", httpx.RequestID(ctx))
	location := "/api/users/me/devices/" + d.ID
	return RegisterDevice201JSONResponse{Body: as[Device](d), Headers: RegisterDevice201ResponseHeaders{Location: &location}}, nil
}

// ListDevices is GET /api/users/me/devices.
func (s *Server) ListDevices(ctx context.Context, _ ListDevicesRequestObject) (ListDevicesResponseObject, error) {
	caller, _ := auth.FromContext(ctx)
	list, err := s.Users.Devices(ctx, caller.UserID)
	if err != nil {
		return nil, fail("could not list the devices", err, "user_id", caller.UserID)
	}
	var resp ListDevices200JSONResponse
	resp.Body.Items = as[[]Device](list)
	if resp.Body.Items == nil {
		resp.Body.Items = []Device{}
	}
	return resp, nil
}

// DeleteDevice is DELETE /api/users/me/devices/{id}: one of the caller's
// own; another account's is as unknown as no device at all.
func (s *Server) DeleteDevice(ctx context.Context, req DeleteDeviceRequestObject) (DeleteDeviceResponseObject, error) {
	caller, _ := auth.FromContext(ctx)
	err := s.Users.DeleteDevice(ctx, caller.UserID, req.Id)
	switch {
	case errors.Is(err, users.ErrDeviceNotFound):
		return nil, httpx.NewProblem(http.StatusNotFound, "no device "+strconv.Quote(req.Id))
	case err != nil:
		return nil, fail("could not delete the device", err, "user_id", caller.UserID, "device_id", req.Id)
	}
	s.Logger.Info("device deleted", "user_id", caller.UserID, "device_id", req.Id, "request_id", httpx.RequestID(ctx))
	return DeleteDevice204Response{}, nil
}

// GetVAPIDPublicKey is GET /api/push/vapid-public-key.
func (s *Server) GetVAPIDPublicKey(context.Context, GetVAPIDPublicKeyRequestObject) (GetVAPIDPublicKeyResponseObject, error) {
	var resp GetVAPIDPublicKey200JSONResponse
	resp.Body.PublicKey = s.Push.VAPIDPublicKey
	return resp, nil
}
