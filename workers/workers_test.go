package workers

import "testing"

func TestNewRejectsUnknownQueue(t *testing.T) {
	if _, err := New(nil, "payments", Activities{}); err == nil {
		t.Fatal("want an error for an unknown queue")
	}
}
