package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestSSEReaderReadsTheStreamsWireFormat(t *testing.T) {
	stream := "retry: 2000\n\n" +
		"id: 17.1\nevent: order\ndata: {\"status\":\"pending\"}\n\n" +
		": heartbeat\n\n" +
		"id: 17.2\r\nevent: order\r\ndata: {\"status\":\r\ndata:\"completed\"}\r\n\r\n" +
		"id: 17.3\nevent: order\ndata: half an event, cut off"
	r := NewReader(strings.NewReader(stream))
	var got []Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	want := []Event{
		{ID: "17.1", Event: "order", Data: `{"status":"pending"}`},
		{ID: "17.2", Event: "order", Data: "{\"status\":\n\"completed\"}"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("events %q, want %q", got, want)
	}
	if r.Retry != 2*time.Second {
		t.Errorf("retry %s, want 2s", r.Retry)
	}
	// The cut-off event is not dispatched, but its id is the last seen,
	// as EventSource keeps it.
	if r.LastID != "17.3" {
		t.Errorf("last id %q, want 17.3", r.LastID)
	}
}

func TestSSEReaderDefaultsTheEventType(t *testing.T) {
	ev, err := NewReader(strings.NewReader("data: x\n\n")).Next()
	if err != nil || ev.Event != "message" || ev.Data != "x" {
		t.Fatalf("%+v, %v", ev, err)
	}
}
