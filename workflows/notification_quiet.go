package workflows

import (
	"fmt"
	"time"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"go.temporal.io/sdk/workflow"
)

// interrupts reports whether a channel reaches the customer's phone at once:
// quiet hours hold SMS and push. Email and webhooks are read when the
// recipient chooses, so holding them would only make them late.
func interrupts(channel string) bool {
	return channel == notifications.ChannelSMS || channel == notifications.ChannelPush
}

// waitOutQuietHours sleeps, on a durable timer, until the customer's quiet
// hours are over, unless the message is urgent or it is not quiet time.
func (n *notification) waitOutQuietHours(ctx workflow.Context) {
	if n.in.Urgent || n.in.QuietHours == nil {
		return
	}
	// The time zone database is the machine's: reading it is a side effect,
	// recorded so that a replay on a worker with other tzdata decides alike.
	var quiet quietUntil
	err := workflow.SideEffect(ctx, func(ctx workflow.Context) any {
		until, err := quietHoursEnd(*n.in.QuietHours, workflow.Now(ctx), n.in.TimeZone)
		if err != nil {
			return quietUntil{Problem: err.Error()}
		}
		return quietUntil{Until: until}
	}).Get(&quiet)
	logger := workflow.GetLogger(ctx)
	if err != nil || quiet.Problem != "" {
		// A bad preference must not stop the message: send it now.
		logger.Warn("ignoring quiet hours", "notification_id", n.in.NotificationID, "problem", quiet.Problem, "error", err)
		return
	}
	if quiet.Until.IsZero() {
		return
	}
	logger.Info("holding the message until quiet hours end", "notification_id", n.in.NotificationID,
		"order_id", n.in.OrderID, "until", quiet.Until)
	n.state.ScheduledFor = &quiet.Until
	n.record(ctx, notifications.StatusScheduled)
	timer := workflow.NewTimerWithOptions(ctx, quiet.Until.Sub(workflow.Now(ctx)), workflow.TimerOptions{Summary: "quiet hours"})
	_ = timer.Get(ctx, nil) // cancelled: the send that follows fails the same way
	n.state.ScheduledFor = nil
	n.record(ctx, notifications.StatusPending)
}

// quietUntil is the recorded answer of quietHoursEnd.
type quietUntil struct {
	Until   time.Time // zero: not quiet time
	Problem string    // why the preferences could not be used
}

// quietHoursEnd returns when the quiet hours q around now end, or the zero
// time when now is outside them. tz is an IANA time zone; "" is UTC.
func quietHoursEnd(q notifications.QuietHours, now time.Time, tz string) (time.Time, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.Time{}, fmt.Errorf("time zone %q: %w", tz, err)
	}
	start, err := minuteOfDay(q.Start)
	if err != nil {
		return time.Time{}, err
	}
	end, err := minuteOfDay(q.End)
	if err != nil {
		return time.Time{}, err
	}
	local := now.In(loc)
	minute := local.Hour()*60 + local.Minute()
	// at is the wall-clock minute m of day's date; time.Date settles the
	// times a DST change skips or repeats.
	at := func(day time.Time, m int) time.Time {
		y, mo, d := day.Date()
		return time.Date(y, mo, d, m/60, m%60, 0, 0, loc)
	}
	switch {
	case start < end: // within one day, e.g. 13:00-15:00
		if minute >= start && minute < end {
			return at(local, end), nil
		}
	case start > end: // across midnight, e.g. 22:00-07:00
		if minute >= start {
			return at(local.AddDate(0, 0, 1), end), nil
		}
		if minute < end {
			return at(local, end), nil
		}
	}
	return time.Time{}, nil // outside, or an empty window (start == end)
}

// minuteOfDay parses "HH:MM".
func minuteOfDay(clock string) (int, error) {
	t, err := time.Parse("15:04", clock)
	if err != nil {
		return 0, fmt.Errorf("quiet hours: %q is not a time of day (HH:MM)", clock)
	}
	return t.Hour()*60 + t.Minute(), nil
}
