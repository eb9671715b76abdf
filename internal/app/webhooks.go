package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/users"
	"github.com/orderflow/orderflow/internal/domain/webhooks"
	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/events"
	"github.com/orderflow/orderflow/internal/platform/safehttp"
	"github.com/orderflow/orderflow/workflows"
)

// webhookConsumerGroup is the notifications workers' consumer group: each
// event is fanned out by one of them.
const webhookConsumerGroup = "orderflow-webhooks"

// webhookActivities deliver to integrators' endpoints through the same
// address policy as the customers' webhooks.
func webhookActivities(cfg config.NotificationsWorker, c *conns) *activities.WebhookEndpointActivities {
	return &activities.WebhookEndpointActivities{
		Store:        webhooks.NewStore(c.pool, c.codec),
		Client:       safehttp.NewClient(webhookOptions(cfg, c)),
		Users:        users.NewStore(c.pool),
		DisableAfter: cfg.WebhookDisableAfter,
	}
}

// fanOutWebhooks reads every topic and starts a WebhookDeliveryWorkflow for
// each endpoint that wants an event, until ctx ends.
func fanOutWebhooks(ctx context.Context, cfg config.NotificationsWorker, c *conns, store *webhooks.Store, logger *slog.Logger) error {
	sec, err := kafkaSecurity(cfg.Kafka)
	if err != nil {
		return err
	}
	consumer := events.Consumer{
		Brokers: cfg.KafkaBrokers, Sec: sec, Group: webhookConsumerGroup,
		Topics: []string{events.OrdersTopic, events.InventoryTopic, events.NotificationsTopic},
		Logger: logger.With("component", "webhook-fan-out"),
	}
	start := func(ctx context.Context, deliveryID string) error {
		return startWebhookDelivery(ctx, c.temporal, deliveryID, 0, cfg.WebhookFirstRetry)
	}
	return consumer.Run(ctx, func(ctx context.Context, ev events.CloudEvent, payload []byte) error {
		return store.FanOut(ctx, ev, payload, start)
	})
}

// startWebhookDelivery starts the nth delivery workflow of a delivery
// (0: the first), once: a start that finds it started is done.
func startWebhookDelivery(ctx context.Context, c client.Client, deliveryID string, n int, firstRetry time.Duration) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.WebhookDeliveryID(deliveryID, n),
		TaskQueue:             workflows.NotificationsTaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.WebhookDeliveryWorkflow, workflows.WebhookDeliveryInput{DeliveryID: deliveryID, FirstRetry: firstRetry})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}
