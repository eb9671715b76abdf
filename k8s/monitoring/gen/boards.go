package main

import "github.com/grafana/grafana-foundation-sdk/go/dashboard"

// dashboards are written to dashboards/<name>.json. Their panels name the
// alerts of rules.yaml that watch the same series; docs/runbook.md says
// which panel to open first for each alert.
var dashboards = map[string]func() *dashboard.DashboardBuilder{
	"orders":        orders,
	"workers":       workers,
	"inventory":     inventory,
	"notifications": notifications,
}

func orders() *dashboard.DashboardBuilder {
	return newBoard("orderflow-orders", "Orderflow / Orders",
		"The order saga (OrderWorkflow): outcomes, latency, saga steps, approvals and compensations.").
		WithRow(row("Outcomes")).
		WithPanel(graph("Orders ended, by outcome", "OrderWorkflow runs that ended, per second.", "ops",
			query(`sum by (outcome) (rate(orderflow_orders_total[$__rate_interval]))`, "{{outcome}}"))).
		WithPanel(graph("Failed orders, by failure class",
			"Why orders failed: a surge of one class says where to look (alert OrderflowOrderFailureRatioHigh).", "ops",
			query(`sum by (failure_class) (rate(orderflow_orders_total{outcome="failed"}[$__rate_interval]))`, "{{failure_class}}"))).
		WithRow(row("Latency")).
		WithPanel(graph("Order duration, completed orders",
			"From the workflow's start to its outcome, any wait for approval included.", "s",
			query(`histogram_quantile(0.50, sum by (le) (rate(orderflow_order_duration_seconds_bucket{outcome="completed"}[$__rate_interval])))`, "p50"),
			query(`histogram_quantile(0.95, sum by (le) (rate(orderflow_order_duration_seconds_bucket{outcome="completed"}[$__rate_interval])))`, "p95"),
			query(`histogram_quantile(0.99, sum by (le) (rate(orderflow_order_duration_seconds_bucket{outcome="completed"}[$__rate_interval])))`, "p99"))).
		WithPanel(graph("Saga step duration (p95)",
			"Each step of the saga and each compensation, from its start to its outcome; await_approval is the admin's decision.", "s",
			query(`histogram_quantile(0.95, sum by (step, le) (rate(orderflow_saga_step_duration_seconds_bucket[$__rate_interval])))`, "{{step}}"))).
		WithPanel(graph("Saga step failures", "Steps that failed for good and turned the saga to its compensations.", "ops",
			query(`sum by (step) (rate(orderflow_saga_step_failures_total[$__rate_interval]))`, "{{step}}"))).
		WithPanel(graph("Payment gateway latency (p95)", "One call to the gateway: authorize, capture, void, refund, look-up.", "s",
			query(`histogram_quantile(0.95, sum by (le) (rate(orderflow_provider_request_duration_seconds_bucket{provider="payments"}[$__rate_interval])))`, "p95"))).
		WithPanel(graph("Order events, by type",
			"Events the orders worker records for Kafka: order.completed, order.failed, order.needs_attention, ...", "ops",
			query(`sum by (type) (rate(orderflow_order_events_total[$__rate_interval]))`, "{{type}}"))).
		WithRow(row("Approvals and compensations")).
		WithPanel(single("Awaiting approval",
			"Orders above APPROVAL_THRESHOLD waiting for an admin to approve or reject them, now.", "short",
			`max(orderflow_orders_awaiting_approval)`)).
		WithPanel(single("Compensations failed for good",
			"In the time range. Each leaves an order needs_attention (alert OrderflowCompensationFailed).", "short",
			`sum(increase(orderflow_compensations_total{outcome="failed"}[$__range]))`)).
		WithPanel(single("Orders repaired",
			"Orders terminated, timed out or failed by a bug that the reconciler started a repair for, in the time range.", "short",
			`sum(increase(orderflow_order_repairs_started_total[$__range]))`)).
		WithPanel(single("Failed share of orders", "Failed orders among those that ended in the time range.", "percentunit",
			`sum(increase(orderflow_orders_total{outcome="failed"}[$__range])) / sum(increase(orderflow_orders_total[$__range]))`)).
		WithPanel(graph("Orders awaiting approval", "", "short",
			query(`max(orderflow_orders_awaiting_approval)`, "awaiting approval"))).
		WithPanel(graph("Compensations, by kind and outcome",
			"Void, refund and release after a failed step; failed means failed for good, retries spent.", "ops",
			query(`sum by (kind, outcome) (rate(orderflow_compensations_total[$__rate_interval]))`, "{{kind}} {{outcome}}")))
}

func workers() *dashboard.DashboardBuilder {
	return newBoard("orderflow-workers", "Orderflow / Temporal workers",
		"The orders, inventory, notifications and fulfilment workers as the Temporal SDK sees them, and their queues' backlog as the Temporal server does.").
		WithRow(row("Capacity")).
		WithPanel(graph("Task slots used", "Tasks executing now, by queue and kind of worker.", "short",
			query(`sum by (task_queue, worker_type) (temporal_worker_task_slots_used)`, "{{task_queue}} {{worker_type}}"))).
		WithPanel(graph("Task slots available",
			"Tasks the workers could take on now; at 0 a queue's tasks wait however many pollers it has.", "short",
			query(`sum by (task_queue, worker_type) (temporal_worker_task_slots_available)`, "{{task_queue}} {{worker_type}}"))).
		WithPanel(graph("Pollers", "Long polls open to the Temporal frontend, by queue and kind of task.", "short",
			query(`sum by (task_queue, poller_type) (temporal_num_pollers)`, "{{task_queue}} {{poller_type}}"))).
		WithPanel(graph("Backlog",
			"Tasks waiting in each queue, from the Temporal server's matching service (which labels the queue taskqueue).", "short",
			query(`sum by (taskqueue, task_type) (approximate_backlog_count{taskqueue=~"orders|inventory|notifications|fulfilment"})`, "{{taskqueue}} {{task_type}}"))).
		WithRow(row("Schedule-to-start")).
		WithPanel(graph("Workflow task schedule-to-start (p95)",
			"How long a workflow task waited for a worker (alert OrderflowWorkflowScheduleToStartHigh above 1s).", "s",
			query(`histogram_quantile(0.95, sum by (task_queue, le) (rate(temporal_workflow_task_schedule_to_start_latency_seconds_bucket[$__rate_interval])))`, "{{task_queue}}"))).
		WithPanel(graph("Activity schedule-to-start (p95)",
			"How long an activity task waited for a worker (alert OrderflowActivityScheduleToStartHigh above 5s); eager activities record none.", "s",
			query(`histogram_quantile(0.95, sum by (task_queue, le) (rate(temporal_activity_schedule_to_start_latency_seconds_bucket[$__rate_interval])))`, "{{task_queue}}"))).
		WithRow(row("Failures and requests")).
		WithPanel(graph("Workflow task failures",
			"Each is a workflow stuck on a bug until it is fixed (alert OrderflowWorkflowTaskFailures).", "ops",
			query(`sum by (task_queue, workflow_type, failure_reason) (rate(temporal_workflow_task_execution_failed_total[$__rate_interval]))`, "{{task_queue}} {{workflow_type}} {{failure_reason}}"))).
		WithPanel(graph("Activity failures",
			"Failed activity attempts, retried by their policies; business failures (a declined card) count too. Local activities (the payment calls, the read model, the stock changes) are counted apart by the SDK.", "ops",
			query(`sum by (task_queue, activity_type) (rate(temporal_activity_execution_failed_total[$__rate_interval]))`, "{{task_queue}} {{activity_type}}"),
			query(`sum by (task_queue, activity_type) (rate(temporal_local_activity_execution_failed_total[$__rate_interval]))`, "{{task_queue}} {{activity_type}} (local)"))).
		WithPanel(graph("Requests to Temporal, latency (p95)", "Calls to the Temporal frontend from every role, long polls aside.", "s",
			query(`histogram_quantile(0.95, sum by (operation, le) (rate(temporal_request_latency_seconds_bucket[$__rate_interval])))`, "{{operation}}"))).
		WithPanel(graph("Requests to Temporal, failures", "Failed calls to the Temporal frontend, by operation.", "ops",
			query(`sum by (operation) (rate(temporal_request_failure_total[$__rate_interval]))`, "{{operation}}")))
}

func inventory() *dashboard.DashboardBuilder {
	return newBoard("orderflow-inventory", "Orderflow / Inventory",
		"Stock reservations (ReservationWorkflow), the stock ledger's conflicts, and the transactional outboxes to Kafka.").
		WithRow(row("Reservations")).
		WithPanel(graph("Reservations ended, by outcome",
			"committed: sold; released: the order failed or was cancelled; expired: RESERVATION_TTL ran out first.", "ops",
			query(`sum by (outcome) (rate(orderflow_reservations_total[$__rate_interval]))`, "{{outcome}}"))).
		WithPanel(graph("Reservations held", "Reservations holding stock now.", "short",
			query(`max(orderflow_reservations_held)`, "held"))).
		WithPanel(graph("Stock conflicts", "Compare-and-set conflicts on stock rows, retried: concurrent orders of one SKU.", "ops",
			query(`sum(rate(orderflow_stock_conflicts_total[$__rate_interval]))`, "conflicts"))).
		WithPanel(single("Reservations expired", "In the time range: orders whose stock hold ran out before they were confirmed.", "short",
			`sum(increase(orderflow_reservations_total{outcome="expired"}[$__range]))`)).
		WithRow(row("Outboxes")).
		WithPanel(graph("Outbox depth", "Events written with their change but not yet published, per outbox (orders, inventory).", "short",
			query(`max by (outbox) (orderflow_outbox_depth)`, "{{outbox}}"))).
		WithPanel(graph("Outbox lag", "Age of the oldest unpublished event (alert OrderflowOutboxLagging above 5 minutes).", "s",
			query(`max by (outbox) (orderflow_outbox_oldest_age_seconds)`, "{{outbox}}"))).
		WithPanel(graph("Kafka publishing, by topic", "Events the relays published, and failed attempts to publish.", "ops",
			query(`sum by (topic) (rate(orderflow_kafka_events_published_total[$__rate_interval]))`, "{{topic}} published"),
			query(`sum by (topic) (rate(orderflow_kafka_publish_errors_total[$__rate_interval]))`, "{{topic}} errors")))
}

func notifications() *dashboard.DashboardBuilder {
	return newBoard("orderflow-notifications", "Orderflow / Notifications",
		"Customer notifications (NotificationWorkflow) over email, SMS, push and webhooks: deliveries, breakers, providers, callbacks.").
		WithRow(row("Deliveries")).
		WithPanel(graph("Deliveries, by channel and outcome",
			"Attempts to hand a message to a provider: sent, failed, or not tried because the breaker was open.", "ops",
			query(`sum by (channel, outcome) (rate(orderflow_notification_deliveries_total[$__rate_interval]))`, "{{channel}} {{outcome}}"))).
		WithPanel(graph("Notifications ended, by outcome and channel",
			"NotificationWorkflow runs that ended: delivered, on the channel named, or failed on every channel.", "ops",
			query(`sum by (outcome, channel) (rate(orderflow_notifications_total[$__rate_interval]))`, "{{outcome}} {{channel}}"))).
		WithPanel(graph("Attempts per notification",
			"Delivery attempts per notification that ended: 1 while every first try works; retries and fallbacks raise it.", "short",
			query(`sum(rate(orderflow_notification_deliveries_total[$__rate_interval])) / sum(rate(orderflow_notifications_total[$__rate_interval]))`, "attempts"))).
		WithRow(row("Providers")).
		WithPanel(graph("Circuit breaker state",
			"0 closed, 1 half-open, 2 open; shared by every replica through Redis (alert OrderflowBreakerOpen).", "short",
			query(`max by (provider) (orderflow_breaker_state)`, "{{provider}}")).Max(2)).
		WithPanel(graph("Provider latency (p95)", "One call to SendGrid, Twilio, the push relay or a webhook receiver (the payment gateway is on the Orders dashboard).", "s",
			query(`histogram_quantile(0.95, sum by (provider, le) (rate(orderflow_provider_request_duration_seconds_bucket{provider!="payments"}[$__rate_interval])))`, "{{provider}}"))).
		WithPanel(graph("Delivery callbacks refused",
			"Provider callbacks the api refused: bad_signature is a wrong key (or a forgery), bad_request a body it cannot read.", "ops",
			query(`sum by (provider, reason) (rate(orderflow_callbacks_refused_total[$__rate_interval]))`, "{{provider}} {{reason}}"))).
		WithRow(row("Integrators' webhooks")).
		WithPanel(graph("Webhook attempts, by outcome",
			"Attempts to deliver an event to an integrator's endpoint: succeeded (2xx), failed (retried for 3 days), refused (an address it may not reach).", "ops",
			query(`sum by (outcome) (rate(orderflow_webhook_attempts_total[$__rate_interval]))`, "{{outcome}}"))).
		WithPanel(single("Webhook endpoints disabled", "In the time range: endpoints disabled for failing too long (their admins were emailed).", "short",
			`sum(increase(orderflow_webhook_endpoints_disabled_total[$__range]))`))
}
