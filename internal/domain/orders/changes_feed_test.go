package orders

import (
	"log/slog"
	"slices"
	"strconv"
	"testing"
)

// A feed gathers the IDs announced since it was last taken, once each, of
// its customer's orders (every order's for ""); a backlog past its bound,
// or a gap in the announcements, asks for a resync instead; a stopped feed
// hears nothing more.
func TestFeedGathersChangesUntilTaken(t *testing.T) {
	c := NewChanges(nil, 2, slog.New(slog.DiscardHandler))
	f, stop, err := c.WatchAll("")
	if err != nil {
		t.Fatal(err)
	}
	c.wake("a", "c-1")
	c.wake("b", "c-2")
	c.wake("a", "c-1")
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
		c.wake("o-"+strconv.Itoa(i), "c-1")
	}
	if ids, resync = c.Take(f); len(ids) != 0 || !resync {
		t.Fatalf("past the backlog: %d IDs, resync %v", len(ids), resync)
	}
	c.wakeAll()
	if _, resync = c.Take(f); !resync {
		t.Fatal("unannounced changes need a resync")
	}
	mine, _, err := c.WatchAll("c-1")
	if err != nil {
		t.Fatal(err)
	}
	c.wake("theirs", "c-2")
	c.wake("ours", "c-1")
	if ids, _ := c.Take(mine); !slices.Equal(ids, []string{"ours"}) {
		t.Fatalf("a customer's feed took %v", ids)
	}
	if _, _, err := c.WatchAll(""); err != ErrTooManyWaiters {
		t.Fatalf("a third feed of two allowed: %v", err)
	}
	if ids, _ := c.Take(f); len(ids) != 2 {
		t.Fatalf("every order's feed took %v", ids)
	}
	stop()
	c.wake("c", "c-1")
	if ids, _ = c.Take(f); len(ids) != 0 {
		t.Fatalf("a stopped feed heard %v", ids)
	}
}
