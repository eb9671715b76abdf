package logging_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderflow/orderflow/internal/platform/logging"
)

func TestSamplerLetsOneThroughPerInterval(t *testing.T) {
	s := &logging.Sampler{Every: time.Hour}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if s.Allow() {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 1 {
		t.Fatalf("%d of 50 concurrent messages let through, want 1", allowed.Load())
	}
	short := &logging.Sampler{Every: time.Millisecond}
	short.Allow()
	time.Sleep(2 * time.Millisecond)
	if !short.Allow() {
		t.Fatal("no message let through after the interval")
	}
}
