package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"go.temporal.io/sdk/activity"

	"github.com/orderflow/orderflow/internal/domain/notifications/providers"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
)

// pushToDevices sends m to each of the customer's devices as they are now
// (not as they were when the order was placed: browsers subscribe and
// unsubscribe in between), all at once, within the one attempt's time. A
// browser's subscription goes through its Web Push service, a phone's token
// through the push service; the message is the same.
//
// One device that takes the message delivers it. A device its service
// answers 404 or 410 for is gone, and is forgotten. With no device, or none
// left that could take it, the refusal is permanent, and the message moves
// on to the customer's next channel; while a device's failure may pass (its
// service down), it is transient, and the next attempt sends to every
// device again.
func (a *NotificationActivities) pushToDevices(ctx context.Context, customerID string, m providers.PushMessage) (providers.Receipt, error) {
	devices, err := a.Devices.Devices(ctx, customerID)
	if err != nil {
		return providers.Receipt{}, &providers.TransientError{Provider: providers.PushName, Message: "reading the customer's devices: " + err.Error(), Err: err}
	}
	if len(devices) == 0 {
		return providers.Receipt{}, &providers.PermanentError{Provider: providers.PushName, Message: "the customer has no registered devices"}
	}

	receipts, errs := make([]providers.Receipt, len(devices)), make([]error, len(devices))
	var wg sync.WaitGroup
	for i, d := range devices {
		wg.Go(func() { receipts[i], errs[i] = a.pushTo(ctx, d, m) })
	}
	wg.Wait()

	logger := activity.GetLogger(ctx)
	var (
		delivered []providers.Receipt
		transient error
		refusals  []string
	)
	for i, d := range devices {
		err := errs[i]
		switch {
		case err == nil:
			delivered = append(delivered, receipts[i])
			continue
		case gone(err):
			if err := a.Devices.ForgetDevice(ctx, d.ID); err != nil {
				logger.Error("could not forget a gone device; its next message will find it gone again", "device_id", d.ID, "error", err)
			} else {
				logger.Info("device gone: forgotten", "device_id", d.ID, "device_type", d.Type, "status_code", providers.StatusOf(err))
			}
		case !providers.IsPermanent(err):
			transient = err
		}
		refusals = append(refusals, fmt.Sprintf("device %s (%s): %v", d.ID, d.Type, err))
	}
	if len(delivered) > 0 {
		logger.Info("pushed to the customer's devices", "devices", len(devices), "delivered", len(delivered))
		if len(refusals) > 0 {
			// The message reached the customer; these devices did not
			// take it, and are not tried again for it.
			logger.Warn("some of the customer's devices did not take the message", "refusals", strings.Join(refusals, "; "))
		}
		return delivered[0], nil
	}
	message := "no device took the message: " + strings.Join(refusals, "; ")
	if transient != nil {
		wait, _ := providers.RetryAfter(transient)
		return providers.Receipt{}, &providers.TransientError{Provider: providers.PushName, Status: providers.StatusOf(transient),
			Message: message, RetryAfter: wait, Err: transient}
	}
	return providers.Receipt{}, &providers.PermanentError{Provider: providers.PushName, Message: message}
}

// pushTo sends m to one device, through the sender of its kind.
func (a *NotificationActivities) pushTo(ctx context.Context, d users.Device, m providers.PushMessage) (providers.Receipt, error) {
	if d.Type == users.DeviceWebPush {
		return a.WebPush.Send(ctx, providers.Subscription{Endpoint: d.Endpoint, P256dh: d.P256dh, Auth: d.Auth}, m)
	}
	// Each phone's call its own key: a push service that deduplicates on it
	// would otherwise deliver to one phone only.
	m.Token, m.IdempotencyKey = d.Token, m.IdempotencyKey+":"+d.ID
	return a.Push.Send(ctx, m)
}

// gone reports whether a device can never take a message: its push
// service says the subscription or token no longer exists (Web Push's 404
// and 410, RFC 8030; FCM's UNREGISTERED and APNs' 410 through the push
// service), or its endpoint is an address the worker may not reach
// (safehttp), which every later message would be refused too.
func gone(err error) bool {
	var refused *safehttp.RefusedError
	status := providers.StatusOf(err)
	return providers.IsPermanent(err) && (status == http.StatusNotFound || status == http.StatusGone || errors.As(err, &refused))
}
