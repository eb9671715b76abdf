package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/platform/auth"
)

// A token verified once is remembered, but only for the times it is good
// for: before its issue and after its expiry it is refused as if new, with
// the same errors.
func TestRememberedTokensKeepTheirTimes(t *testing.T) {
	k := mustKeys(t, "k1:"+seedA)
	now := time.Now()
	tok, err := k.Issue(customer, now, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{0, time.Minute, 15*time.Minute + 29*time.Second} {
		if got, err := k.Verify(tok, now.Add(at)); err != nil || got != customer {
			t.Fatalf("at +%s: Verify = %+v, %v; want %+v", at, got, err, customer)
		}
	}
	if _, err := k.Verify(tok, now.Add(15*time.Minute+31*time.Second)); !errors.Is(err, auth.ErrExpired) {
		t.Fatalf("past its expiry and the skew: %v, want ErrExpired", err)
	}
	if _, err := k.Verify(tok, now.Add(-time.Minute)); err == nil {
		t.Fatal("a minute before its issue, a remembered token was accepted")
	}
	// Remembered by the keys that verified it: other keys check it afresh.
	if _, err := mustKeys(t, "k1:"+seedB).Verify(tok, now); err == nil {
		t.Fatal("a token signed with another key was accepted")
	}
}

func BenchmarkVerify(b *testing.B) {
	k := mustKeys(b, "k1:"+seedA)
	now := time.Now()
	tok, err := k.Issue(customer, now, 15*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("first", func(b *testing.B) {
		for range b.N {
			// A fresh set of keys each time: nothing remembered.
			b.StopTimer()
			fresh := mustKeys(b, "k1:"+seedA)
			b.StartTimer()
			if _, err := fresh.Verify(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		for range b.N {
			if _, err := k.Verify(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
