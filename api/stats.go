package api

import (
	"context"
	"net/http"

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
// growing backlog with few pollers means too few workers.
func (s *Server) GetStats(ctx context.Context, _ GetStatsRequestObject) (GetStatsResponseObject, error) {
	counts, err := s.Orders.CountByStatus(ctx)
	if err != nil {
		return nil, fail("could not count orders", err)
	}
	resp := Stats{Orders: counts, TaskQueues: map[string]QueueStats{}}
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
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, "Temporal did not describe the task queues; try again")
	}
	for i, q := range workflows.TaskQueues {
		resp.TaskQueues[q] = results[i]
	}
	return GetStats200JSONResponse{Body: resp}, nil
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
