package loadgen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/workflows"
)

// orderWorkflows are the workflows an order ran: its saga, its stock
// reservation, a notification of each status its customer was told of,
// and, once delivered, its shipments', as the transition budget tests count
// them (TestStockReadsAreFreshAfterEveryChange,
// TestOrderIsShippedAndDeliveredFromTwoWarehouses).
func orderWorkflows(s sample) []string {
	ids := []string{orders.WorkflowID(s.id), workflows.ReservationID(s.id)}
	for _, st := range told(orders.Status(s.status)) {
		ids = append(ids, notifications.WorkflowID(workflows.OrderNotificationID(s.id, st)))
	}
	return append(ids, s.shipments...)
}

// told are the statuses the customer of an order in st was told of, each
// by a notification of its own: its outcome, and where its parcels have
// taken it since.
func told(st orders.Status) []orders.Status {
	switch st {
	case orders.StatusShipped:
		return []orders.Status{orders.StatusCompleted, orders.StatusShipped}
	case orders.StatusDelivered:
		return []orders.Status{orders.StatusCompleted, orders.StatusShipped, orders.StatusDelivered}
	}
	return []orders.Status{st}
}

// describers bounds the DescribeWorkflowExecution calls in flight: enough
// to count a run's workflows in seconds, few enough not to load the server
// being measured (the counting happens between phases).
const describers = 8

// meanTransitions is the mean over the units of the state transitions of
// their workflows, each of which it waits to close until ctx ends: an
// order's notification runs on after the order is final. A workflow that
// does not exist (no reservation for an order refused early) counts 0.
// open is how many were still open when ctx ended, counted as they were.
func meanTransitions(ctx context.Context, c client.Client, units [][]string) (mean float64, open int, err error) {
	counts := make([]int64, len(units))
	stillOpen := make([]bool, len(units))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(describers)
	for i, ids := range units {
		g.Go(func() error {
			for _, id := range ids {
				n, closed, err := transitions(gctx, c, id)
				if err != nil {
					return err
				}
				counts[i] += n
				stillOpen[i] = stillOpen[i] || !closed
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, err
	}
	var total int64
	for i := range counts {
		total += counts[i]
		if stillOpen[i] {
			open++
		}
	}
	return ratio(float64(total), float64(len(units))), open, nil
}

// transitions is a workflow's state transition count once it has closed,
// or as it is when ctx ends first.
func transitions(ctx context.Context, c client.Client, id string) (n int64, closed bool, err error) {
	for {
		// Described on a context of its own, so the last look after ctx
		// ended still answers.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		desc, err := c.DescribeWorkflowExecution(dctx, id, "")
		cancel()
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			return 0, true, nil
		case err != nil:
			return 0, false, fmt.Errorf("describe workflow %s: %w", id, err)
		}
		info := desc.GetWorkflowExecutionInfo()
		if info.GetCloseTime() != nil || ctx.Err() != nil {
			return info.GetStateTransitionCount(), info.GetCloseTime() != nil, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}
