// Package internal_test checks the import direction of the repository's
// layers (docs/architecture.md): platform code knows no business, the
// business domains know no Temporal wiring, and no production code depends
// on development tooling.
package internal_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/orderflow/orderflow/"

// layers maps each folder (a prefix of package paths) to the folders its
// non-test code may import; a folder may always import itself. The most
// specific prefix applies.
var layers = map[string][]string{
	"internal/platform": {},
	"internal/domain":   {"internal/platform"},
	"activities":        {"internal/domain", "internal/platform"},
	"workflows":         {"activities", "internal/domain", "internal/platform"},
	"workers":           {"workflows", "activities", "internal/domain", "internal/platform"},
	"api":               {"workflows", "internal/domain", "internal/platform"},
	"frontend":          {"internal/platform"},
	"internal/devtools": {"internal/domain", "internal/platform"},
	// The load generator's bare-engine worker runs with the workers'
	// tuning, so its baseline differs from an order only in the work.
	"internal/devtools/loadgen": {"workers", "workflows", "internal/devtools", "internal/domain", "internal/platform"},
	"internal/app":              {"api", "frontend", "workers", "workflows", "activities", "internal/domain", "internal/platform", "internal/devtools", "k8s/monitoring"},
	"cmd":                       {"internal/app", "internal/platform", "internal/devtools"},
	// The alert rules that ship for production, which `orderflow dev`'s
	// Prometheus evaluates too: data, importing nothing of ours. (The walk
	// skips k8s/; this entry only names the layer.)
	"k8s/monitoring": {},
}

func layerOf(pkg string) (string, bool) {
	best := ""
	for l := range layers {
		if (pkg == l || strings.HasPrefix(pkg, l+"/")) && len(l) > len(best) {
			best = l
		}
	}
	return best, best != ""
}

func TestImportsFollowTheLayers(t *testing.T) {
	root := ".."
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			// Nested modules and data are not ours to check.
			if rel == "temporal" || rel == "test" || rel == "k8s" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(rel))
		layer, ok := layerOf(pkg)
		if !ok {
			t.Errorf("%s is in no layer: add its folder to layers", rel)
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			dep, ours := strings.CutPrefix(p, module)
			if !ours {
				continue
			}
			depLayer, _ := layerOf(dep)
			if depLayer == layer || allowed(layer, depLayer) {
				continue
			}
			t.Errorf("%s (%s) imports %s (%s), against the layers", rel, layer, dep, depLayer)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: is the walk rooted at the repository?", checked)
	}
}

func allowed(layer, dep string) bool {
	for _, a := range layers[layer] {
		if dep == a || strings.HasPrefix(dep, a+"/") {
			return true
		}
	}
	return false
}
