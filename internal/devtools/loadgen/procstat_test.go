package loadgen

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseProcStatCountsFieldsFromTheLastParenthesis(t *testing.T) {
	// A command name with a space and a parenthesis, as a process may name
	// itself; fields as in proc(5).
	line := "4242 (postgres: (idle)) S 4200 4242 4242 0 -1 4194560 300 0 0 0 125 37 9 4 20 0 1 0 100 0 0\n"
	got, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{pid: 4242, ppid: 4200, utime: 125, stime: 37, cutime: 9, cstime: 4}
	if got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
	if _, err := parseProcStat([]byte("7 (short) S 1 2 3")); err == nil {
		t.Fatal("a short line parsed")
	}
}

// A stack of dev (1) with Temporal (2) as its child, PostgreSQL (3) with a
// backend (4), and the backend's own child (5): each listed process counts
// its subtree, without another listed process's.
func TestTreeTicksCountsDescendantsButNotOtherListedProcesses(t *testing.T) {
	stats := map[int]procStat{
		1: {pid: 1, ppid: 0, utime: 1, stime: 1, cutime: 100}, // reaped children count
		2: {pid: 2, ppid: 1, utime: 10, stime: 5},
		3: {pid: 3, ppid: 0, utime: 2},
		4: {pid: 4, ppid: 3, utime: 20, stime: 10},
		5: {pid: 5, ppid: 4, stime: 3},
	}
	apart := map[int]bool{1: true, 2: true, 3: true}
	for root, want := range map[int]uint64{1: 102, 2: 15, 3: 35, 9: 0} {
		if got := treeTicks(stats, childrenOf(stats), root, apart); got != want {
			t.Errorf("pid %d: %d ticks, want %d", root, got, want)
		}
	}
}

func TestReadProcStatsReadsAProc(t *testing.T) {
	dir := t.TempDir()
	for pid, line := range map[string]string{
		"1":  "1 (init) S 0 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0",
		"42": "42 (api) R 1 42 42 0 -1 0 0 0 0 0 50 6 0 0 20 0 9 0 5 0 0",
	} {
		if err := os.MkdirAll(filepath.Join(dir, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, pid, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := readProcStats(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[42].ppid != 1 || stats[42].utime != 50 {
		t.Fatalf("%+v", stats)
	}
	// The real one: this process is in it.
	self, err := readProcStats("/proc")
	if err != nil || self[os.Getpid()].pid != os.Getpid() {
		t.Fatalf("/proc: %v", err)
	}
}
