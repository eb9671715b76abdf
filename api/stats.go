package api

import (
	"context"
	"net/http"
	"time"

	enums "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"golang.org/x/sync/errgroup"

	"github.com/orderflow/orderflow/internal/platform/httpx"
	"github.com/orderflow/orderflow/workflows"
)

// GetStats is GET /api/stats (admin): orders by status from the read
// model, and per task queue the backlog and pollers from Temporal
// (DescribeTaskQueue), for the dashboard and autoscaling decisions: a
// growing backlog with few pollers means too few workers. The last 30
// minutes' outcomes, latencies and deliveries feed the dashboard's charts.
func (s *Server) GetStats(ctx context.Context, _ GetStatsRequestObject) (GetStatsResponseObject, error) {
	stats, err := s.stats(ctx)
	if err != nil {
		return nil, err
	}
	return GetStats200JSONResponse{Body: stats}, nil
}

// statsWindow is how far back the figures' minutes go.
const statsWindow = 30 * time.Minute

func (s *Server) stats(ctx context.Context) (Stats, error) {
	at := time.Now()
	resp := Stats{At: at, TaskQueues: map[string]QueueStats{}}
	since := at.Add(-statsWindow).Truncate(time.Minute)
	var err error
	if resp.Orders, err = s.Orders.CountByStatus(ctx); err != nil {
		return resp, fail("could not count orders", err)
	}
	if resp.Minutes, err = s.Orders.Minutes(ctx, since); err != nil {
		return resp, fail("could not read the orders' minutes", err)
	}
	if resp.Deliveries, err = s.Notifications.DeliveryMinutes(ctx, since); err != nil {
		return resp, fail("could not read the deliveries' minutes", err)
	}
	results := make([]QueueStats, len(workflows.TaskQueues))
	g, gctx := errgroup.WithContext(ctx)
	for i, q := range workflows.TaskQueues {
		g.Go(func() (err error) {
			results[i], err = s.describeQueue(gctx, q)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		s.Logger.Warn("describe task queues failed", "request_id", httpx.RequestID(ctx), "error", err)
		return resp, httpx.NewProblem(http.StatusServiceUnavailable, "Temporal did not describe the task queues; try again")
	}
	for i, q := range workflows.TaskQueues {
		resp.TaskQueues[q] = results[i]
	}
	return resp, nil
}

func (s *Server) describeQueue(ctx context.Context, queue string) (QueueStats, error) {
	var out QueueStats
	for _, typ := range []enums.TaskQueueType{enums.TASK_QUEUE_TYPE_WORKFLOW, enums.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := s.Temporal.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace:     s.Namespace,
			TaskQueue:     &taskqueuepb.TaskQueue{Name: queue, Kind: enums.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: typ,
			ReportStats:   true,
		})
		if err != nil {
			return out, err
		}
		backlog := resp.GetStats().GetApproximateBacklogCount()
		if typ == enums.TASK_QUEUE_TYPE_WORKFLOW {
			out.WorkflowBacklog, out.WorkflowPollers = backlog, len(resp.GetPollers())
		} else {
			out.ActivityBacklog, out.ActivityPollers = backlog, len(resp.GetPollers())
		}
	}
	return out, nil
}
