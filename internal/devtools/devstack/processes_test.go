package devstack

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProcessListRoundTrip(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadProcesses(dir)
	require.ErrorIs(t, err, fs.ErrNotExist, "no stack runs there yet")

	list := ProcessList{{Name: "postgres", PID: 10}, {Name: "worker-orders-2", PID: 12}, {Name: "dev", PID: 1}}
	require.NoError(t, WriteProcesses(dir, list))
	got, err := ReadProcesses(dir)
	require.NoError(t, err)
	require.Equal(t, list, got)
	require.Equal(t, 12, got.PID("worker-orders-2"))
	require.Zero(t, got.PID("temporal"))

	// A restarted role: the list is replaced whole, and no temporary file stays.
	list[1].PID = 13
	require.NoError(t, WriteProcesses(dir, list))
	got, err = ReadProcesses(dir)
	require.NoError(t, err)
	require.Equal(t, 13, got.PID("worker-orders-2"))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	raw, err := os.ReadFile(filepath.Join(dir, ProcessesFile))
	require.NoError(t, err)
	require.JSONEq(t, `[{"name":"postgres","pid":10},{"name":"worker-orders-2","pid":13},{"name":"dev","pid":1}]`, string(raw))

	require.NoError(t, RemoveProcesses(dir))
	require.NoError(t, RemoveProcesses(dir), "removing twice is fine")
	_, err = ReadProcesses(dir)
	require.ErrorIs(t, err, fs.ErrNotExist)
}
