package workflows

import "time"

// RetryWindow is how long a notification that failed on every channel waits
// for a manual retry before its workflow closes as failed. After that the
// API's retry starts a new run.
const RetryWindow = 7 * 24 * time.Hour
