package users_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/domain/users"
)

func browser() users.Device {
	return users.Device{Type: users.DeviceWebPush, Endpoint: "https://push.example.com/" + uuid.NewString(), P256dh: "p256dh-key", Auth: "auth-secret"}
}

func phone() users.Device {
	return users.Device{Type: users.DeviceMobile, Platform: "android", Token: "fcm-" + uuid.NewString()}
}

func TestDevicesAreTheirOwnersAlone(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	ada, bob := newAccount(t), newAccount(t)

	web, created, err := s.RegisterDevice(ctx, ada.ID, browser())
	require.NoError(t, err)
	require.True(t, created)
	mobile, _, err := s.RegisterDevice(ctx, ada.ID, phone())
	require.NoError(t, err)

	list, err := s.Devices(ctx, ada.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, web.ID, list[0].ID, "oldest first")
	assert.Equal(t, "p256dh-key", list[0].P256dh, "the keys are there to encrypt with")
	assert.Equal(t, mobile.Token, list[1].Token)
	assert.Equal(t, "android", list[1].Platform)

	none, err := s.Devices(ctx, bob.ID)
	require.NoError(t, err)
	assert.Empty(t, none)
	require.ErrorIs(t, s.DeleteDevice(ctx, bob.ID, web.ID), users.ErrDeviceNotFound, "not Bob's to delete")
	require.ErrorIs(t, s.DeleteDevice(ctx, ada.ID, "not-a-uuid"), users.ErrDeviceNotFound)

	require.NoError(t, s.DeleteDevice(ctx, ada.ID, web.ID))
	require.ErrorIs(t, s.DeleteDevice(ctx, ada.ID, web.ID), users.ErrDeviceNotFound, "deleted already")
	list, err = s.Devices(ctx, ada.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)

	_, _, err = s.RegisterDevice(ctx, uuid.NewString(), browser())
	require.ErrorIs(t, err, users.ErrNotFound)
}

func TestRegisteringADeviceAgainRefreshesIt(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	ada, bob := newAccount(t), newAccount(t)
	d := browser()
	first, _, err := s.RegisterDevice(ctx, ada.ID, d)
	require.NoError(t, err)

	d.P256dh, d.Auth = "renewed-key", "renewed-auth"
	again, created, err := s.RegisterDevice(ctx, ada.ID, d)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first.ID, again.ID)
	list, err := s.Devices(ctx, ada.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "renewed-key", list[0].P256dh)

	// Someone who learnt the endpoint, without the browser's keys, cannot
	// take it over.
	forged := d
	forged.P256dh, forged.Auth = "attacker-key", "attacker-auth"
	_, _, err = s.RegisterDevice(ctx, bob.ID, forged)
	require.ErrorIs(t, err, users.ErrDeviceTaken)
	list, err = s.Devices(ctx, ada.ID)
	require.NoError(t, err)
	require.Len(t, list, 1, "still Ada's")
	assert.Equal(t, "renewed-key", list[0].P256dh)

	// Bob signs in on Ada's browser, which holds the keys: it is his now,
	// under a new ID.
	moved, created, err := s.RegisterDevice(ctx, bob.ID, d)
	require.NoError(t, err)
	assert.True(t, created, "a new device of Bob's")
	assert.NotEqual(t, first.ID, moved.ID)
	list, err = s.Devices(ctx, ada.ID)
	require.NoError(t, err)
	assert.Empty(t, list, "Ada's orders no longer go to it")

	require.NoError(t, s.ForgetDevice(ctx, moved.ID))
	require.NoError(t, s.ForgetDevice(ctx, moved.ID), "gone already is no error")
	list, err = s.Devices(ctx, bob.ID)
	require.NoError(t, err)
	assert.Empty(t, list)
}

// The limit holds however many registrations race for the last places,
// and an account at the limit may still register a device it has.
func TestAnAccountHasAtMostMaxDevices(t *testing.T) {
	ctx := context.Background()
	s := users.NewStore(testPool)
	u := newAccount(t)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		refused int
	)
	for i := range users.MaxDevices + 5 {
		wg.Go(func() {
			d := phone()
			d.Token = fmt.Sprintf("%s-%d", d.Token, i)
			_, _, err := s.RegisterDevice(ctx, u.ID, d)
			if err != nil {
				assert.ErrorIs(t, err, users.ErrTooManyDevices)
				mu.Lock()
				refused++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 5, refused)
	list, err := s.Devices(ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, list, users.MaxDevices)

	_, created, err := s.RegisterDevice(ctx, u.ID, list[0])
	require.NoError(t, err, "registering one of its devices again is no new device")
	assert.False(t, created)
}
