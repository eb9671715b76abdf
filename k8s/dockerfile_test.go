package k8s_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerfile checks the image contract k8s/ and docker-compose.yml rely on:
// the entrypoint takes the role as its first argument, and the runtime stage
// runs as the non-root uid that runAsNonRoot/runAsUser expect.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, drop comments.
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var final []string // instructions of the last stage
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			final = nil
			if image := baseImage(line); !pinnedImage.MatchString(image) {
				t.Errorf("base image %s is not pinned: name a full version (1.26.8) or a digest (@sha256:...)", image)
			}
		}
		final = append(final, line)
		upper := strings.ToUpper(line)
		if strings.HasPrefix(upper, "ARG ") || strings.HasPrefix(upper, "ENV ") {
			if sensitive(strings.ToUpper(strings.Fields(line)[1])) {
				t.Errorf("secret-like build argument or variable baked into the image: %s", line)
			}
		}
		if strings.Contains(line, "go build") && (!strings.Contains(line, "CGO_ENABLED=0") || !strings.Contains(line, "./cmd/orderflow")) {
			t.Errorf("build step must produce a static ./cmd/orderflow: %s", line)
		}
	}
	if len(final) == 0 {
		t.Fatal("no FROM in Dockerfile")
	}
	if !slices.Contains(final, `ENTRYPOINT ["/orderflow"]`) {
		t.Errorf(`runtime stage lacks ENTRYPOINT ["/orderflow"]: %q`, final)
	}
	user := ""
	for _, ins := range final {
		if strings.HasPrefix(strings.ToUpper(ins), "USER ") {
			user = strings.TrimSpace(ins[5:])
		}
	}
	// k8s/ sets runAsUser 65532; a named user cannot be verified by runAsNonRoot.
	if uid, _, _ := strings.Cut(user, ":"); uid != "65532" {
		t.Errorf("runtime stage runs as %q, want USER 65532 (numeric, non-root, as in k8s/)", user)
	}

	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, must := range []string{".git", ".data/", ".env"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), must) {
			t.Errorf(".dockerignore does not exclude %s from the build context", must)
		}
	}
}

// pinnedImage is an image reference with a full version tag or a digest.
var pinnedImage = regexp.MustCompile(`(:\d+\.\d+\.\d+[^@\s]*|@sha256:[0-9a-f]{64})$`)

// baseImage is the image a FROM line names, past its flags.
func baseImage(from string) string {
	for _, field := range strings.Fields(from)[1:] {
		if !strings.HasPrefix(field, "--") {
			return field
		}
	}
	return ""
}
