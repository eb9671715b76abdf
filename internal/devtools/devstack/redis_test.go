package devstack

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestRedisKeepsKeysAcrossRestart(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	opts := RedisOptions{DataDir: filepath.Join(t.TempDir(), "redis"), Logger: testLogger(t)}
	r, err := StartRedis(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, r.Stop)

	client := redis.NewClient(&redis.Options{Addr: r.Addr()})
	require.NoError(t, client.Set(ctx, "order:1", "paid", 0).Err())
	require.Equal(t, "paid", client.Get(ctx, "order:1").Val())
	client.Close()

	require.NoError(t, r.Stop(ctx))
	require.NoError(t, r.Stop(ctx), "Stop is idempotent")
	again, err := StartRedis(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, again.Stop)
	client = redis.NewClient(&redis.Options{Addr: again.Addr()})
	defer client.Close()
	require.Equal(t, "paid", client.Get(ctx, "order:1").Val(), "the append-only file survives a restart")
}

func TestRedisOnBusyPortFailsWithItsLog(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()

	_, err = StartRedis(ctx, RedisOptions{
		DataDir: t.TempDir(),
		Port:    l.Addr().(*net.TCPAddr).Port,
		Logger:  testLogger(t),
	})
	require.Error(t, err)
	require.Contains(t, err.Error(), "Redis exited while starting")
	require.Contains(t, err.Error(), "Address already in use", "the error carries the server's log")
}
