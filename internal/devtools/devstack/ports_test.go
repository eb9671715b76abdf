package devstack

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckPortFreeNamesTheEnvVarWhenBusy(t *testing.T) {
	port, err := FreePort()
	require.NoError(t, err)
	require.NoError(t, CheckPortFree("PostgreSQL", port, "POSTGRES_PORT"))

	l, err := net.Listen("tcp", loopback(port))
	require.NoError(t, err)
	defer l.Close()
	err = CheckPortFree("PostgreSQL", port, "POSTGRES_PORT")
	require.Error(t, err)
	require.Contains(t, err.Error(), "PostgreSQL")
	require.Contains(t, err.Error(), "POSTGRES_PORT")
	require.Contains(t, err.Error(), fmt.Sprintf("port %d ", port))
}

func TestFreePortIsNotOfferedTwice(t *testing.T) {
	seen := map[int]bool{}
	for range 50 {
		port, err := FreePort()
		require.NoError(t, err)
		require.False(t, seen[port], "port %d offered twice", port)
		seen[port] = true
	}
}

func TestFreeLowPortFitsASmallint(t *testing.T) {
	port, err := freeLowPort()
	require.NoError(t, err)
	require.Less(t, port, 32768)
	require.NoError(t, CheckPortFree("test", port, "TEST_PORT"))
}
