package safehttp

import (
	"errors"
	"fmt"
	"io"
)

// ErrBodyTooLarge is ReadBody's error for a body longer than its limit.
var ErrBodyTooLarge = errors.New("response body over the limit")

// ReadBody reads at most limit bytes of a response body. A receiver's answer
// is read for an error message or a small acknowledgement, never in full: a
// server that answers with gigabytes must not fill the worker's memory.
// A longer body returns its first limit bytes and an error that
// errors.Is ErrBodyTooLarge; a caller that only shows the answer may keep
// them and ignore it.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], fmt.Errorf("%w of %d bytes", ErrBodyTooLarge, limit)
	}
	return b, err
}
