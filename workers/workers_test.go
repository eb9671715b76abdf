package workers

import "testing"

func TestNewRejectsUnknownQueue(t *testing.T) {
	if _, err := New(nil, "payments", "v1", Activities{}); err == nil {
		t.Fatal("want an error for an unknown queue")
	}
}
