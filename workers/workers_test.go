package workers

import (
	"reflect"
	"testing"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/workflows"
)

// The workflows call activities by name; the SDK registers a struct's methods
// under their own names. A renamed method would fail at run time with
// "activity not registered", so check every name here.
func TestEveryActivityNameIsAMethodOfItsQueueStruct(t *testing.T) {
	byName := map[string]any{
		workflows.ActivityRecordOrderState:   &activities.OrderActivities{},
		workflows.ActivityAuthorizePayment:   &activities.PaymentActivities{},
		workflows.ActivityCapturePayment:     &activities.PaymentActivities{},
		workflows.ActivityVoidPayment:        &activities.PaymentActivities{},
		workflows.ActivityReserveStock:       &activities.InventoryActivities{},
		workflows.ActivityCommitReservation:  &activities.InventoryActivities{},
		workflows.ActivityReleaseReservation: &activities.InventoryActivities{},
		workflows.ActivitySendEmail:          &activities.NotificationActivities{},
		workflows.ActivitySendSMS:            &activities.NotificationActivities{},
		workflows.ActivitySendPush:           &activities.NotificationActivities{},
		workflows.ActivitySendWebhook:        &activities.NotificationActivities{},
		workflows.ActivityRecordNotification: &activities.NotificationActivities{},
	}
	for name, impl := range byName {
		if _, ok := reflect.TypeOf(impl).MethodByName(name); !ok {
			t.Errorf("activity %q is not a method of %T", name, impl)
		}
	}
}

func TestNewRejectsUnknownQueue(t *testing.T) {
	if _, err := New(nil, "payments", Activities{}); err == nil {
		t.Fatal("want an error for an unknown queue")
	}
}
