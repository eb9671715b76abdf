package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README's configuration table documents every setting, and nothing
// else: the table is written by hand, the structs are the source.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "\n## Configuration\n")
	table, _, _ = strings.Cut(table, "\n## ")
	variable := regexp.MustCompile("`([A-Z0-9_]+)`")
	var names []string
	for _, line := range strings.Split(table, "\n") {
		if first, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " |"); ok && strings.HasPrefix(line, "| `") {
			for _, m := range variable.FindAllStringSubmatch(first, -1) {
				names = append(names, m[1])
			}
		}
	}
	slices.Sort(names)
	// WORKER_QUEUE is the worker's --queue flag's default, not a setting.
	want := append(append(Names(Stack{}), Names(Dev{})...), "WORKER_QUEUE")
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(names, want) {
		t.Errorf("README.md's configuration table documents\n%v\nwant\n%v", names, want)
	}
}
