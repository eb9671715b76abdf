package ciworkflow

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// lint is actionlint's findings on file, without shellcheck or pyflakes:
// the test needs nothing outside Go.
func lint(t *testing.T, file string) []*actionlint.Error {
	t.Helper()
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.LintFile(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestWorkflowsLint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", ".github", "workflows", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no workflow in .github/workflows")
	}
	for _, file := range files {
		for _, e := range lint(t, file) {
			t.Errorf("%s:%d:%d: %s [%s]", file, e.Line, e.Column, e.Message, e.Kind)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "run: make test") {
			t.Errorf("%s does not run make test, the README's test command", file)
		}
	}
}

// The linter finds what this test is for: a job that needs one that does
// not exist, and an expression on an unknown context.
func TestLinterCatchesBrokenWorkflows(t *testing.T) {
	file := filepath.Join(t.TempDir(), "broken.yml")
	broken := "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: nosuchjob\n    steps:\n      - run: echo ${{ nosuch.context }}\n"
	if err := os.WriteFile(file, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if errs := lint(t, file); len(errs) < 2 {
		t.Fatalf("actionlint found %d problems in a broken workflow, want 2: %v", len(errs), errs)
	}
}
