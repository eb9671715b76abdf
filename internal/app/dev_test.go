package app

import (
	"testing"
	"time"
)

// A role that keeps dying is restarted ever later, never given up on; one
// that ran for a while before dying starts again at once.
func TestCrashBackoff(t *testing.T) {
	var b crashBackoff
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []time.Duration
	for range 8 {
		d := b.next(now)
		got = append(got, d)
		now = now.Add(d + time.Second) // dies a second after each restart
	}
	want := []time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 5 * time.Minute, 5 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("restart delays = %v, want %v", got, want)
		}
	}
	if d := b.next(now.Add(time.Hour)); d != 0 {
		t.Fatalf("after an hour's run the delay is %v, want 0", d)
	}
}
