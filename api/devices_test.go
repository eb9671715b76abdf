package api

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeviceRegistrationsAreCheckedAtTheEdge(t *testing.T) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	require.NoError(t, err)
	p256dh := base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())
	auth := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	str := func(s string) *string { return &s }
	platform := func(p DevicePlatform) *DevicePlatform { return &p }
	keys := func(p256dh, auth string) *struct {
		Auth   string `json:"auth"`
		P256dh string `json:"p256dh"`
	} {
		return &struct {
			Auth   string `json:"auth"`
			P256dh string `json:"p256dh"`
		}{Auth: auth, P256dh: p256dh}
	}
	browser := func(endpoint string) DeviceRegistration {
		return DeviceRegistration{Type: WebPush, Endpoint: &endpoint, Keys: keys(p256dh, auth)}
	}
	phone := DeviceRegistration{Type: Mobile, Platform: platform(Ios), Token: str("apns-0123456789abcdef")}

	for name, req := range map[string]DeviceRegistration{
		"a browser":        browser("https://fcm.googleapis.com/fcm/send/abc"),
		"padded keys":      {Type: WebPush, Endpoint: str("https://push.example/x"), Keys: keys(p256dh+"=", auth+"==")},
		"a phone":          phone,
		"an android phone": {Type: Mobile, Platform: platform(Android), Token: str("fcm:APA91b-token_0.1")},
		"expiration is ok": func() DeviceRegistration {
			r := browser("https://push.example/x")
			r.ExpirationTime = new(float32)
			return r
		}(),
	} {
		d, p := req.device(false)
		assert.Nil(t, p, "%s: %v", name, p)
		assert.Equal(t, string(req.Type), d.Type, name)
	}

	for name, tt := range map[string]struct {
		req      DeviceRegistration
		loopback bool
		field    string
	}{
		"no endpoint":              {DeviceRegistration{Type: WebPush, Keys: keys(p256dh, auth)}, false, "endpoint"},
		"http endpoint":            {browser("http://push.example/x"), false, "endpoint"},
		"http on loopback in prod": {browser("http://127.0.0.1:4010/webpush/x"), false, "endpoint"},
		"http elsewhere in dev":    {browser("http://push.example/x"), true, "endpoint"},
		"not a URL":                {browser("https://"), false, "endpoint"},
		"credentials in the URL":   {browser("https://user:pw@push.example/x"), false, "endpoint"},
		"an endpoint too long":     {browser("https://push.example/" + strings.Repeat("x", maxEndpointLength)), false, "endpoint"},
		"no keys":                  {DeviceRegistration{Type: WebPush, Endpoint: str("https://push.example/x")}, false, "keys"},
		"p256dh not base64url":     {DeviceRegistration{Type: WebPush, Endpoint: str("https://push.example/x"), Keys: keys("not base64!", auth)}, false, "keys.p256dh"},
		"p256dh not a point":       {DeviceRegistration{Type: WebPush, Endpoint: str("https://push.example/x"), Keys: keys(strings.Repeat("A", 87), auth)}, false, "keys.p256dh"},
		"auth too short":           {DeviceRegistration{Type: WebPush, Endpoint: str("https://push.example/x"), Keys: keys(p256dh, auth[:10])}, false, "keys.auth"},
		"a browser with a token": {func() DeviceRegistration {
			r := browser("https://push.example/x")
			r.Token = str("apns-0123456789")
			return r
		}(), false, "type"},
		"no platform":         {DeviceRegistration{Type: Mobile, Token: str("apns-0123456789abcdef")}, false, "platform"},
		"a token with spaces": {DeviceRegistration{Type: Mobile, Platform: platform(Ios), Token: str("not a token")}, false, "token"},
		"a token too short":   {DeviceRegistration{Type: Mobile, Platform: platform(Ios), Token: str("abc")}, false, "token"},
		"a phone with keys":   {DeviceRegistration{Type: Mobile, Platform: platform(Ios), Token: str("apns-0123456789abcdef"), Keys: keys(p256dh, auth)}, false, "type"},
		"an unknown type":     {DeviceRegistration{Type: "pager"}, false, "type"},
	} {
		_, p := tt.req.device(tt.loopback)
		if !assert.NotNil(t, p, name) {
			continue
		}
		assert.Equal(t, 422, p.Status, name)
		var fields []string
		for _, e := range p.Errors {
			fields = append(fields, e.Field)
		}
		assert.Contains(t, fields, tt.field, name)
	}

	_, p := browser("http://127.0.0.1:4010/webpush/x").device(true)
	assert.Nil(t, p, "the sandbox's endpoint in development")
	_, p = browser("http://localhost:4010/webpush/x").device(true)
	assert.Nil(t, p)
}
