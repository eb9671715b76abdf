package orders

import (
	"log/slog"
	"slices"
	"testing"
)

// A feed gathers the IDs announced since it was last taken, once each; a
// backlog past its bound, or a gap in the announcements, asks for a
// resync instead; a stopped feed hears nothing more.
func TestFeedGathersChangesUntilTaken(t *testing.T) {
	c := NewChanges(nil, 2, slog.New(slog.DiscardHandler))
	f, stop, err := c.WatchAll()
	if err != nil {
		t.Fatal(err)
	}
	c.wake("a")
	c.wake("b")
	c.wake("a")
	select {
	case <-f.Woken():
	default:
		t.Fatal("not woken")
	}
	ids, resync := c.Take(f)
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"a", "b"}) || resync {
		t.Fatalf("took %v, resync %v", ids, resync)
	}
	for i := range maxFeedBacklog + 1 {
		c.wake(string(rune('a'+i%26)) + string(rune(i)))
	}
	if ids, resync = c.Take(f); len(ids) != 0 || !resync {
		t.Fatalf("past the backlog: %d IDs, resync %v", len(ids), resync)
	}
	c.wakeAll()
	if _, resync = c.Take(f); !resync {
		t.Fatal("unannounced changes need a resync")
	}
	if _, _, err := c.WatchAll(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.WatchAll(); err != ErrTooManyWaiters {
		t.Fatalf("a third feed of two allowed: %v", err)
	}
	stop()
	c.wake("c")
	if ids, _ = c.Take(f); len(ids) != 0 {
		t.Fatalf("a stopped feed heard %v", ids)
	}
}
