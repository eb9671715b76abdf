package breaker

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// storeTimeout bounds each Redis call; gobreaker's store interface takes no context.
const storeTimeout = 2 * time.Second

// errConflict means another worker changed the state between our read and
// our write.
var errConflict = errors.New("circuit breaker state changed concurrently")

// compareAndSet writes ARGV[2] to KEYS[1] (for ARGV[3] ms) only when the key
// still holds ARGV[1], or is absent and ARGV[1] is empty.
var compareAndSet = redis.NewScript(`
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`)

// store is gobreaker's SharedDataStore on Redis. gobreaker reads the shared
// state before it takes its lock (DistributedCircuitBreaker.Execute), so a
// lock alone would not stop two workers from overwriting each other's update.
// The store instead writes by compare-and-set against the value it read:
// a write that lost the race fails with errConflict and the Breaker redoes
// the report on the fresh state. That makes the lock useless, so Lock and
// Unlock do nothing, and no call ever waits on another worker.
//
// One store serves one Breaker, whose mutex keeps each read and the write
// that follows it together.
type store struct {
	rdb  redis.UniversalClient
	ttl  time.Duration
	read map[string][]byte // by key: the value last read or written, which SetData expects

	// seed is a closed state, as gobreaker encodes it, answered when Redis
	// has none yet (or it expired); the write that follows creates it.
	seed    []byte
	seeding bool // newCircuitBreaker is running
}

// newCircuitBreaker builds gobreaker's distributed breaker on s without any
// I/O. Its constructor dereferences a nil breaker when the store fails
// (v2.4.0 defers unlock on its nil result), so s answers it from memory: no
// state yet; and it keeps the closed state the constructor writes as seed.
func (s *store) newCircuitBreaker(settings gobreaker.Settings) *gobreaker.DistributedCircuitBreaker[struct{}] {
	s.seeding = true
	defer func() { s.seeding = false }()
	cb, err := gobreaker.NewDistributedCircuitBreaker[struct{}](s, settings)
	if err != nil {
		panic("breaker: an in-memory store failed: " + err.Error())
	}
	return cb
}

func (s *store) Lock(string) error   { return nil }
func (s *store) Unlock(string) error { return nil }

func (s *store) GetData(key string) ([]byte, error) {
	if s.seeding {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	data, err := s.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		s.read[key] = nil // SetData will create it
		return s.seed, nil
	}
	if err != nil {
		return nil, err
	}
	s.read[key] = data
	return data, nil
}

func (s *store) SetData(key string, data []byte) error {
	if s.seeding {
		s.seed = data
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	written, err := compareAndSet.Run(ctx, s.rdb, []string{key}, s.read[key], data, s.ttl.Milliseconds()).Bool()
	if err != nil {
		return err
	}
	if !written {
		return errConflict
	}
	s.read[key] = data
	return nil
}
