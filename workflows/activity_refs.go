package workflows

import "github.com/orderflow/orderflow/activities"

// The activities, by typed reference. A method value on one of these nil
// structs names its activity (the method's name, as the worker registers the
// real struct, which holds the dependencies) and fixes its request and result
// types, so the compiler checks every call. Local activities run the
// registered method, never these nil receivers.
var (
	orderActivities        *activities.OrderActivities
	paymentActivities      *activities.PaymentActivities
	inventoryActivities    *activities.InventoryActivities
	notificationActivities *activities.NotificationActivities
	temporalActivities     *activities.TemporalActivities
	webhookActivities      *activities.WebhookEndpointActivities
	riskActivities         *activities.RiskActivities
	fulfilmentActivities   *activities.FulfilmentActivities
)
