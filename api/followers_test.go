package api

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// A user holds at most maxFollowersPerUser followers, an address at most
// maxFollowersPerAddress whoever signs in there; a release gives the slot
// back to both.
func TestFollowerSlotsAreBoundedPerUserAndAddress(t *testing.T) {
	var f followers
	var releases []func()
	for range maxFollowersPerUser {
		release, err := f.acquire("u1", "10.0.0.1")
		require.NoError(t, err)
		releases = append(releases, release)
	}
	_, err := f.acquire("u1", "10.0.0.2")
	require.ErrorContains(t, err, "per user")
	releases[0]()
	release, err := f.acquire("u1", "10.0.0.2")
	require.NoError(t, err)
	release()

	// Other users at the same address, up to the address's bound.
	for i := maxFollowersPerUser - 1; i < maxFollowersPerAddress; i++ {
		release, err := f.acquire(fmt.Sprintf("user-%d", i), "10.0.0.1")
		require.NoError(t, err, "follower %d", i)
		releases = append(releases, release)
	}
	_, err = f.acquire("someone-new", "10.0.0.1")
	require.ErrorContains(t, err, "per client address")
	_, err = f.acquire("someone-new", "10.0.0.3")
	require.NoError(t, err)
	for _, release := range releases[1:] {
		release()
	}
	require.Equal(t, map[string]int{"user:someone-new": 1, "addr:10.0.0.3": 1}, f.byKey, "only someone-new at 10.0.0.3 is left")
}

func TestEndFollowersClosesOnceAndForAll(t *testing.T) {
	var s Server
	ending := s.followers.ending()
	s.EndFollowers()
	s.EndFollowers() // a second shutdown call is no panic
	select {
	case <-ending:
	default:
		t.Fatal("EndFollowers left the followers running")
	}
}
