package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/orderflow/orderflow/internal/domain/carrier"
	"github.com/orderflow/orderflow/internal/domain/orders"
)

// fresh reports whether a carrier's tracking event is news of booking: its
// own, numbered after the last event applied (*last, which it then moves
// on), with a status a parcel reaches once picked up. A repeated, overtaken
// or foreign event is not, and changes nothing: the carrier retries its
// callbacks until acknowledged, and they can arrive in any order.
func fresh(ctx workflow.Context, ev carrier.TrackingEvent, booking string, last *int) bool {
	if ev.ShipmentID != booking || ev.Sequence <= *last || !orders.ShipmentStatus(ev.Status).Left() {
		workflow.GetLogger(ctx).Info("tracking event ignored", "reference", ev.Reference, "event_id", ev.ID,
			"sequence", ev.Sequence, "applied", *last)
		return false
	}
	*last = ev.Sequence
	return true
}
