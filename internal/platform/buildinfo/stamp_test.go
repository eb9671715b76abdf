package buildinfo

import (
	"os"
	"strings"
	"testing"
)

// TestBuildsStampTheVersion: the Makefile and the Dockerfile set the
// variables this package reads, by its full name; renaming it without them
// would leave every binary named by its commit alone.
func TestBuildsStampTheVersion(t *testing.T) {
	for _, file := range []string{"../../../Makefile", "../../../Dockerfile"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"version", "commit"} {
			stamp := "-X github.com/orderflow/orderflow/internal/platform/buildinfo." + v + "="
			if !strings.Contains(string(b), stamp) {
				t.Errorf("%s does not stamp the %s (%s...)", file, v, stamp)
			}
		}
	}
}
