package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/orderflow/orderflow/internal/devtools/sandbox"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/workflows"
)

// BenchmarkNotificationThroughput measures SMS notifications delivered per
// second through NotificationWorkflow on the local stack (Temporal dev
// server, PostgreSQL, Redis, the Twilio sandbox, one notifications worker):
// b.N workflows started at once, timed until the last one is sent. Use a
// fixed count, since each iteration is a batch:
//
//	go test ./test/integration -run '^$' -bench NotificationThroughput -benchtime 300x
func BenchmarkNotificationThroughput(b *testing.B) {
	for _, bc := range []struct {
		name  string
		fault *sandbox.Fault
	}{
		{"no_faults", nil},
		// A steady error rate that retries absorb: never five failures in a
		// row, so the breaker stays closed.
		{"every_3rd_call_503", &sandbox.Fault{Provider: sandbox.ProviderTwilio, Status: 503, Every: 3}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.fault != nil {
				if err := stack.sandbox.AddFault(*bc.fault); err != nil {
					b.Fatal(err)
				}
				defer stack.sandbox.ClearFaults()
			}
			prefix := uniqueID("bench-" + bc.name)
			ctx := context.Background()
			runs := make([]client.WorkflowRun, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				in := sms(fmt.Sprintf("%s-%d", prefix, i), validPhone)
				run, err := stack.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
					ID: notifications.WorkflowID(in.NotificationID), TaskQueue: workflows.NotificationsTaskQueue,
				}, workflows.NotificationWorkflow, in)
				if err != nil {
					b.Fatal(err)
				}
				runs = append(runs, run)
			}
			for _, run := range runs {
				if err := run.Get(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notifications/s")
		})
	}
}
