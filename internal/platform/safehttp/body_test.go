package safehttp

import (
	"errors"
	"strings"
	"testing"
)

func TestReadBodyStopsAtItsLimit(t *testing.T) {
	b, err := ReadBody(strings.NewReader("short"), 8)
	if err != nil || string(b) != "short" {
		t.Errorf("under the limit: %q, %v", b, err)
	}
	b, err = ReadBody(strings.NewReader("12345678"), 8)
	if err != nil || string(b) != "12345678" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	b, err = ReadBody(strings.NewReader(strings.Repeat("x", 1<<20)), 8)
	if !errors.Is(err, ErrBodyTooLarge) || string(b) != "xxxxxxxx" {
		t.Errorf("over the limit: %q, %v", b, err)
	}
}
