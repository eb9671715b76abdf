package workflows

import (
	"time"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Retry policies are explicit per kind of side effect: how long a failure can
// reasonably last, and which errors no retry can fix.

var orderStatusKey = temporal.NewSearchAttributeKeyKeyword(SearchAttrOrderStatus)

// OrderSearchAttributes are what an order's workflows start with. OrderTotal
// is in minor units, like every amount of money in orderflow (an order of
// 1,025.00 is 102500), so `OrderTotal > 100000` finds what the approval
// threshold of 100000 holds.
func OrderSearchAttributes(in orders.Input, status orders.Status) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		orderStatusKey.ValueSet(string(status)),
		temporal.NewSearchAttributeKeyKeyword(SearchAttrCustomerID).ValueSet(in.CustomerID),
		temporal.NewSearchAttributeKeyFloat64(SearchAttrOrderTotal).ValueSet(float64(in.Total)),
	)
}

// stockCtx runs ReservationWorkflow's stock changes as local activities: the
// inventory worker running the workflow is the one with the database, and a
// local activity costs a fraction of a regular one's history events. A
// database outage is waited out (10 minutes); out of stock ends the
// reservation at once.
func stockCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrOutOfStock, activities.ErrUnknownSKU, activities.ErrReservationReleased},
		},
	})
}

// settleCtx commits or releases a reservation once it is decided: retried
// for a week, which outlasts any outage short of a disaster (past it the
// workflow fails, visibly, for an operator).
func settleCtx(ctx workflow.Context) workflow.Context {
	ctx = stockCtx(ctx)
	opts := workflow.GetLocalActivityOptions(ctx)
	opts.ScheduleToCloseTimeout = 7 * 24 * time.Hour
	policy := *opts.RetryPolicy
	policy.MaximumInterval = time.Minute
	opts.RetryPolicy = &policy
	return workflow.WithLocalActivityOptions(ctx, opts)
}

// paymentCtx authorizes payments: a gateway that keeps failing for about two
// minutes fails the order rather than holding stock for ever; a decline is
// final. WaitForCancellation: an order cancelled while its gateway call runs
// waits for the call to end before it compensates, so the void never
// overtakes the authorization it undoes (and finds it by the order's
// reference when its answer was lost).
func paymentCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			MaximumAttempts:        8,
			NonRetryableErrorTypes: []string{activities.ErrPaymentDeclined},
		},
	})
}

// captureCtx captures an authorized payment. The authorization holds the
// funds, so a gateway outage is waited out for up to an hour.
func captureCtx(ctx workflow.Context) workflow.Context {
	ctx = paymentCtx(ctx)
	opts := workflow.GetActivityOptions(ctx)
	opts.ScheduleToCloseTimeout = time.Hour
	opts.RetryPolicy.MaximumAttempts = 0
	return workflow.WithActivityOptions(ctx, opts)
}

// authorizeBudget bounds the authorization run as a local activity, whose
// retries would otherwise end with its first StartToCloseTimeout: more than
// paymentCtx's 8 attempts take (at most 8 × 15 s of calls and 91 s of
// backoff), so the attempts, not the clock, end it as they end the regular
// activity.
const authorizeBudget = 5 * time.Minute

// asLocal is the local activity form of a payment call's options (ctx as
// paymentCtx or captureCtx made it): the same timeouts and retries, within
// budget when the regular form has no ScheduleToCloseTimeout of its own.
func asLocal(ctx workflow.Context, budget time.Duration) workflow.Context {
	opts := workflow.GetActivityOptions(ctx)
	if opts.ScheduleToCloseTimeout > 0 {
		budget = opts.ScheduleToCloseTimeout
	}
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    opts.StartToCloseTimeout,
		ScheduleToCloseTimeout: budget,
		RetryPolicy:            opts.RetryPolicy,
	})
}

// CompensationBudget is how long a compensation (void, refund) is retried
// before the order is left to an operator (status needs_attention): long
// enough to outlast a gateway outage, short enough that a customer's money
// is not held for days without anyone knowing.
const CompensationBudget = 2 * time.Hour

// compensationCtx retries a compensation through gateway outages for
// CompensationBudget. A refusal is not final here: the activity turns the
// refusals that mean "already done" into success, and any other is worth an
// operator's look, so it ends the budget at once.
func compensationCtx(ctx workflow.Context) workflow.Context {
	ctx = paymentCtx(ctx)
	opts := workflow.GetActivityOptions(ctx)
	opts.ScheduleToCloseTimeout = CompensationBudget
	policy := *opts.RetryPolicy
	policy.MaximumAttempts = 0
	policy.MaximumInterval = time.Minute
	opts.RetryPolicy = &policy
	return workflow.WithActivityOptions(ctx, opts)
}

// inventoryCtx changes stock from outside a reservation's workflow (a
// repair's release, a restock of goods back from an order): a regular
// activity on the inventory queue, whose workers own the stock and its
// cache, retried like a compensation.
func inventoryCtx(ctx workflow.Context) workflow.Context {
	ctx = compensationCtx(ctx)
	opts := workflow.GetActivityOptions(ctx)
	opts.TaskQueue = InventoryTaskQueue
	return workflow.WithActivityOptions(ctx, opts)
}

// restockCtx puts goods back on hand once they are back for sure (a parcel
// the carrier has cancelled, a return received): there is nothing to undo
// instead, so it is retried until it is done, through an inventory outage
// of any length or an inventory worker not yet deployed with Restock. The
// Web UI shows it pending with its attempts and last error meanwhile.
func restockCtx(ctx workflow.Context) workflow.Context {
	ctx = inventoryCtx(ctx)
	opts := workflow.GetActivityOptions(ctx)
	opts.ScheduleToCloseTimeout = 0
	return workflow.WithActivityOptions(ctx, opts)
}

// recordCtx runs a worker's own bookkeeping as local activities: read-model
// writes, and the signals and workflow starts of local_calls.go. A database
// or Temporal outage is waited out for a week: the workflow holds its place
// meanwhile. (Without
// ScheduleToCloseTimeout a local activity's retries end with its first
// StartToCloseTimeout.) A write the database refuses for good comes back as
// a non-retryable error (ErrPermanentWrite) and is not retried at all.
func recordCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 7 * 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Second,
		},
	})
}

// riskCtx runs the risk assessment and the count of a decline, local
// activities of the orders worker over Redis. They degrade rather than fail
// when Redis is down, so a failure is a bug or a worker in trouble: a few
// quick attempts, then the saga does without them (see assessRisk).
func riskCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    5 * time.Second,
		ScheduleToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumAttempts:    3,
		},
	})
}
