package breaker

import (
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Set hands out one Breaker per name, created on first use, all with the
// same settings: one per provider, or per webhook receiver.
type Set struct {
	rdb      redis.UniversalClient
	settings Settings
	logger   *slog.Logger

	mu       sync.Mutex
	breakers map[string]*Breaker
}

// NewSet returns an empty Set.
func NewSet(rdb redis.UniversalClient, s Settings, logger *slog.Logger) *Set {
	return &Set{rdb: rdb, settings: s, logger: logger, breakers: map[string]*Breaker{}}
}

// Get returns the breaker called name.
func (s *Set) Get(name string) *Breaker {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.breakers[name]
	if !ok {
		b = New(s.rdb, name, s.settings, s.logger)
		s.breakers[name] = b
	}
	return b
}
