package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ProcessesFile is the file, in the stack's data directory, where
// `orderflow dev` lists the long-running processes it started, so that a
// tool beside it (the load generator) can watch their CPU and memory or
// kill one. It exists only while the stack runs and is rewritten whenever a
// pid changes (a role restarted). Its shape is a JSON array of ProcessEntry:
//
//	[{"name":"postgres","pid":4242},{"name":"temporal","pid":4250},
//	 {"name":"worker-orders-1","pid":4301},{"name":"dev","pid":4200}]
//
// Names: "temporal" (the dev server), or "temporal-server" and
// "temporal-ui" (TEMPORAL_MODE=server); "postgres" (the postmaster);
// "redis"; "prometheus" and "jaeger" when they run; "sandbox", "api",
// "frontend"; one per worker replica, "worker-orders" or, with
// DEV_WORKER_REPLICAS above 1, "worker-orders-1", "worker-orders-2"...;
// and "dev", `orderflow dev` itself, which also hosts Kafka (kfake).
const ProcessesFile = "processes.json"

// ProcessEntry is one process of ProcessesFile.
type ProcessEntry struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
}

// ProcessList is the content of ProcessesFile.
type ProcessList []ProcessEntry

// PID returns the pid of the process called name, or 0.
func (l ProcessList) PID(name string) int {
	for _, p := range l {
		if p.Name == name {
			return p.PID
		}
	}
	return 0
}

// ReadProcesses reads the process list of the stack whose data directory
// is dataDir; the error wraps fs.ErrNotExist when no stack runs there.
func ReadProcesses(dataDir string) (ProcessList, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, ProcessesFile))
	if err != nil {
		return nil, err
	}
	var l ProcessList
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dataDir, ProcessesFile), err)
	}
	return l, nil
}

// WriteProcesses replaces the process list in dataDir. It writes a
// temporary file and renames it, so a reader never sees half a list.
func WriteProcesses(dataDir string, l ProcessList) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dataDir, ProcessesFile+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dataDir, ProcessesFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", ProcessesFile, err)
	}
	return nil
}

// RemoveProcesses removes the process list from dataDir, as the stack
// stops; a missing list is no error.
func RemoveProcesses(dataDir string) error {
	err := os.Remove(filepath.Join(dataDir, ProcessesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
