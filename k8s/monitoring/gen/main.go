// Command gen writes the files of k8s/monitoring that are derived from
// others: prometheusrule.yaml from rules.yaml, and the Grafana dashboards in
// dashboards/ from the Go code in this folder. Run it with
// `go generate ./k8s/monitoring/`; its test fails while a file is stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	files, err := generate(".")
	if err == nil {
		err = write(".", files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// generate returns every derived file, by path relative to dir, the
// k8s/monitoring folder.
func generate(dir string) (map[string][]byte, error) {
	rules, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	if err != nil {
		return nil, err
	}
	rule, err := prometheusRule(rules)
	if err != nil {
		return nil, fmt.Errorf("rules.yaml: %w", err)
	}
	files := map[string][]byte{"prometheusrule.yaml": rule}
	for name, board := range dashboards {
		data, err := render(board())
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", name, err)
		}
		files[filepath.Join("dashboards", name+".json")] = data
	}
	return files, nil
}

func write(dir string, files map[string][]byte) error {
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
