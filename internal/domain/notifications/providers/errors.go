package providers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// PermanentError is a provider refusing a message for good: an invalid or
// unsubscribed number, a malformed email, bad credentials. Sending the same
// request again cannot succeed.
type PermanentError struct {
	Provider string
	Status   int // HTTP status, or the SDK's own status for a refusal made locally
	Code     int // provider error code (Twilio's 21211...), 0 when it has none
	Message  string
	Err      error // the cause of a refusal made locally, e.g. a *safehttp.RefusedError
}

func (e *PermanentError) Unwrap() error { return e.Err }

func (e *PermanentError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%s: permanent error %d (code %d): %s", e.Provider, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: permanent error %d: %s", e.Provider, e.Status, e.Message)
}

// TransientError is a failure that may pass: 408, 429, 5xx, a timeout, a
// connection error.
type TransientError struct {
	Provider   string
	Status     int // 0 when no answer arrived
	Message    string
	RetryAfter time.Duration // what the provider asked to wait, 0 when it did not say
	Err        error         // the cause when no answer arrived, e.g. context.DeadlineExceeded
}

func (e *TransientError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("%s: transient error: %s", e.Provider, e.Message)
	}
	return fmt.Sprintf("%s: transient error %d: %s", e.Provider, e.Status, e.Message)
}

func (e *TransientError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a refusal that retrying cannot change.
func IsPermanent(err error) bool {
	var permanent *PermanentError
	return errors.As(err, &permanent)
}

// StatusOf returns the HTTP status of the provider's error answer, or 0 when
// no answer arrived (timeout, refused connection) or err is not a provider's.
func StatusOf(err error) int {
	var permanent *PermanentError
	if errors.As(err, &permanent) {
		return permanent.Status
	}
	var transient *TransientError
	if errors.As(err, &transient) {
		return transient.Status
	}
	return 0
}

// RetryAfter returns how long the provider asked to wait before retrying,
// when err is transient and the provider said so.
func RetryAfter(err error) (time.Duration, bool) {
	var transient *TransientError
	if errors.As(err, &transient) && transient.RetryAfter > 0 {
		return transient.RetryAfter, true
	}
	return 0, false
}

// statusError classifies a provider's error answer: every 4xx but 408 and
// 429 is permanent, everything else transient.
func statusError(provider string, status, code int, message string, header http.Header) error {
	if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		return &PermanentError{Provider: provider, Status: status, Code: code, Message: message}
	}
	return &TransientError{Provider: provider, Status: status, Message: message, RetryAfter: retryAfter(header, time.Now())}
}

// retryAfter reads Retry-After (seconds or an HTTP date) or, failing that,
// SendGrid's X-RateLimit-Reset (the Unix time its rate limit window ends).
func retryAfter(header http.Header, now time.Time) time.Duration {
	value := header.Get("Retry-After")
	if seconds, err := strconv.Atoi(value); err == nil && seconds > 0 {
		return time.Duration(seconds) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	if reset, err := strconv.ParseInt(header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		if at := time.Unix(reset, 0); at.After(now) {
			return at.Sub(now)
		}
	}
	return 0
}
