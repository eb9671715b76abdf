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

// queueStats is one task queue's load, for the dashboard and autoscaling
// decisions: a growing backlog with few pollers means too few workers.
type queueStats struct {
	WorkflowBacklog int64 `json:"workflow_backlog"`
	ActivityBacklog int64 `json:"activity_backlog"`
	WorkflowPollers int   `json:"workflow_pollers"`
	ActivityPollers int   `json:"activity_pollers"`
}

type statsResponse struct {
	Orders     map[string]int64      `json:"orders"`
	TaskQueues map[string]queueStats `json:"task_queues"`
}

// stats answers GET /api/stats: orders by status from the read model, and
// per task queue the backlog and pollers from Temporal (DescribeTaskQueue).
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	counts, err := s.Orders.CountByStatus(r.Context())
	if err != nil {
		s.internalError(w, r, "could not count orders", err)
		return
	}
	resp := statsResponse{Orders: counts, TaskQueues: map[string]queueStats{}}
	results := make([]queueStats, len(workflows.TaskQueues))
	g, ctx := errgroup.WithContext(r.Context())
	for i, q := range workflows.TaskQueues {
		g.Go(func() (err error) {
			results[i], err = s.describeQueue(ctx, q)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		s.Logger.Warn("describe task queues failed", "request_id", httpx.RequestID(r.Context()), "error", err)
		httpx.WriteProblem(w, r, httpx.NewProblem(http.StatusServiceUnavailable, "Temporal did not describe the task queues; try again"))
		return
	}
	for i, q := range workflows.TaskQueues {
		resp.TaskQueues[q] = results[i]
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
}

func (s *Server) describeQueue(ctx context.Context, queue string) (queueStats, error) {
	var out queueStats
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
