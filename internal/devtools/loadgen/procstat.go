package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// clockTicks is the unit of /proc/<pid>/stat's times: USER_HZ, which the
// kernel fixes at 100 for user space on every architecture Go runs Linux on.
const clockTicks = 100

// procStat is the part of /proc/<pid>/stat (proc(5)) that CPU accounting
// needs, times in clock ticks.
type procStat struct {
	pid, ppid      int
	utime, stime   uint64 // the process's own
	cutime, cstime uint64 // its children's that it has waited for
}

// parseProcStat reads one /proc/<pid>/stat line. The command name, field 2,
// is in parentheses and may hold spaces and parentheses itself, so the
// fields are counted from the last ')'.
func parseProcStat(line []byte) (procStat, error) {
	open, end := bytes.IndexByte(line, '('), bytes.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("proc stat %q: no command name", line)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line[:open])))
	if err != nil {
		return procStat{}, fmt.Errorf("proc stat pid: %w", err)
	}
	// Fields from 3 (state) on: ppid is 4, utime 14, stime 15, cutime 16,
	// cstime 17.
	f := bytes.Fields(line[end+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("proc stat of %d: %d fields after the name, want 15 or more", pid, len(f))
	}
	num := func(field int) (uint64, error) { return strconv.ParseUint(string(f[field-3]), 10, 64) }
	s := procStat{pid: pid}
	ppid, err := num(4)
	s.ppid = int(ppid)
	for _, v := range []struct {
		field int
		to    *uint64
	}{{14, &s.utime}, {15, &s.stime}, {16, &s.cutime}, {17, &s.cstime}} {
		if err != nil {
			break
		}
		*v.to, err = num(v.field)
	}
	if err != nil {
		return procStat{}, fmt.Errorf("proc stat of %d: %w", pid, err)
	}
	return s, nil
}

// readProcStats reads every process of root (a /proc), by pid; a process
// that ends while being read is left out.
func readProcStats(root string) (map[int]procStat, error) {
	paths, err := filepath.Glob(filepath.Join(root, "[0-9]*", "stat"))
	if err != nil {
		return nil, err
	}
	stats := make(map[int]procStat, len(paths))
	for _, p := range paths {
		line, err := os.ReadFile(p)
		if err != nil {
			continue // it ended
		}
		s, err := parseProcStat(line)
		if err != nil {
			return nil, err
		}
		stats[s.pid] = s
	}
	return stats, nil
}

// childrenOf maps each pid of stats to its children's.
func childrenOf(stats map[int]procStat) map[int][]int {
	children := map[int][]int{}
	for pid, s := range stats {
		children[s.ppid] = append(children[s.ppid], pid)
	}
	return children
}

// treeTicks is the CPU of root and its live descendants, with the children
// each of them has waited for (PostgreSQL's work is in backends, which the
// postmaster reaps), leaving out the subtrees of the pids in apart: the
// stack's other processes, counted on their own even when they are
// children of this one (dev's roles, say). A root that is gone is 0.
func treeTicks(stats map[int]procStat, children map[int][]int, root int, apart map[int]bool) uint64 {
	var (
		total uint64
		walk  func(pid int)
	)
	walk = func(pid int) {
		s, ok := stats[pid]
		if !ok {
			return
		}
		total += s.utime + s.stime + s.cutime + s.cstime
		for _, c := range children[pid] {
			if !apart[c] {
				walk(c)
			}
		}
	}
	walk(root)
	return total
}
