// Package sse reads server-sent events (text/event-stream) as a client:
// the load generator and the tests follow order streams with it.
package sse

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
)

// Event is one event of a text/event-stream.
type Event struct {
	ID, Event, Data string
}

// Reader reads the events of a text/event-stream as the HTML standard's
// EventSource does: fields up to a blank line make an event, comments
// (heartbeats) are skipped, the last id and retry persist across events
// for the reconnection.
type Reader struct {
	lines *bufio.Scanner
	// LastID is the last event ID received: a reconnection's Last-Event-ID.
	LastID string
	// Retry is the reconnection delay the server asked for (0: none).
	Retry time.Duration
}

// NewReader reads the stream r.
func NewReader(r io.Reader) *Reader {
	s := bufio.NewScanner(r)
	// An order of 100 lines is a few KB; a line is one event's data.
	s.Buffer(make([]byte, 64<<10), 1<<20)
	return &Reader{lines: s}
}

// Next returns the next event, io.EOF when the stream ends cleanly between
// events (a half-received event is dropped, as EventSource drops it).
func (r *Reader) Next() (Event, error) {
	var (
		ev      Event
		data    []string
		hasData bool
	)
	for r.lines.Scan() {
		line := strings.TrimSuffix(r.lines.Text(), "\r")
		if line == "" {
			if !hasData {
				ev = Event{} // an event of only id or comments dispatches nothing
				continue
			}
			ev.ID, ev.Data = r.LastID, strings.Join(data, "\n")
			if ev.Event == "" {
				ev.Event = "message"
			}
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Event = value
		case "data":
			data, hasData = append(data, value), true
		case "id":
			if !strings.ContainsRune(value, 0) {
				r.LastID = value
			}
		case "retry":
			if ms, err := strconv.Atoi(value); err == nil && ms >= 0 {
				r.Retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
	if err := r.lines.Err(); err != nil {
		return Event{}, err
	}
	return Event{}, io.EOF
}
