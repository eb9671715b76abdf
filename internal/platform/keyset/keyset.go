// Package keyset makes the opaque cursors of keyset pagination: a page
// ends at a row, and the next starts after its (time, ID), which stays
// right under concurrent inserts and costs the same on every page.
package keyset

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// Cursor is the last row of a page.
type Cursor struct {
	At time.Time `json:"t"`
	ID string    `json:"id"`
}

// ErrBadCursor means the text was not made by Cursor.String.
var ErrBadCursor = errors.New("invalid cursor")

// String is the cursor as a client passes it back.
func (c Cursor) String() string {
	b, _ := json.Marshal(c) // a time and a string always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

// Parse reads a cursor String made.
func Parse(s string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return c, ErrBadCursor
	}
	return c, nil
}
