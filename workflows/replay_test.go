package workflows

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
)

// TestReplayRecordedHistories replays every history in testdata/histories
// (recorded from real executions on the local stack by
// test/integration/histories_test.go) with the current workflow code. A
// failure means the code would make different decisions than those already
// in the history (non-determinism): executions running when it is deployed
// would get stuck. Guard such a change with workflow.GetVersion; do not
// re-record to make this test pass (see histories_test.go for when to).
//
// v0-*.json are orders (completed; declined; cancelled from Temporal while
// authorizing) recorded with the code before the approval step and the
// cancel/approve/reject updates (77b8712~1), i.e. executions that were
// running when that change was deployed. They replay unchanged, so that
// change needs no workflow.GetVersion: for an order without an approval
// timeout (every order started before it; the field did not exist) the new
// code issues exactly the commands the old code did. Registering update
// handlers and running the saga on a cancellable child context
// (workflow.WithCancel) issue no commands; awaitApproval returns before its
// step, record, timer or signal wait when in.ApprovalTimeout is 0; and a
// workflow cancellation still reaches the saga (its context derives from the
// workflow's), so the cancelled path compensates as before. Had the approval
// step run for every order (recording the step even when there is no
// timeout), the v0 histories would fail here: that change would need
// workflow.GetVersion around the new step.
//
// v3-*-notification.json were recorded before a channel's first try became
// a local activity (GetVersion local-first-send): notifications waiting on
// a regular send activity when that change is deployed replay them.
//
// The histories are replayed with the workers' converters
// (payloadcrypt, with the development key the local stack records them
// with): the current ones hold encrypted payloads, and clear-*.json (like
// v0-*.json) were recorded before payloads were encrypted, i.e. executions
// running when encryption was deployed: their clear payloads decode as
// they are.
func TestReplayRecordedHistories(t *testing.T) {
	codec, err := payloadcrypt.New(config.Defaults[config.PayloadEncryption]().PayloadEncryptionKeys)
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories: the replay test would prove nothing")

	recorded := map[string]bool{} // workflow types with a history
	for _, file := range files {
		hist := loadHistory(t, file)
		recorded[hist.Events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()] = true
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			// A fresh replayer per history: its workflow results are kept by ID.
			replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter: codec.DataConverter(), FailureConverter: codec.FailureConverter(),
			})
			require.NoError(t, err)
			replayer.RegisterWorkflow(OrderWorkflow)
			replayer.RegisterWorkflow(ReservationWorkflow)
			replayer.RegisterWorkflow(NotificationWorkflow)
			replayer.RegisterWorkflow(WebhookDeliveryWorkflow)
			replayer.RegisterWorkflow(RefundWorkflow)
			replayer.RegisterWorkflow(ShipmentWorkflow)
			replayer.RegisterWorkflow(ReturnWorkflow)
			// Activities need not be registered: replay takes their results
			// from the history.
			require.NoError(t, replayer.ReplayWorkflowHistory(testLogger(t), hist), "%s no longer replays", file)
		})
	}
	for _, wf := range []string{"OrderWorkflow", "ReservationWorkflow", "NotificationWorkflow", "WebhookDeliveryWorkflow", "RefundWorkflow"} {
		require.True(t, recorded[wf], "no recorded history of %s in testdata/histories", wf)
	}
}

// loadHistory reads a recorded history (`temporal workflow show --output
// json` format) and checks it is a whole, closed execution.
func loadHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err, file)
	require.GreaterOrEqual(t, len(hist.Events), 3, file)
	require.NotNil(t, hist.Events[0].GetWorkflowExecutionStartedEventAttributes(),
		"%s does not begin with WorkflowExecutionStarted", file)
	// A partial history would replay whatever the code does next.
	require.Contains(t, []enumspb.EventType{enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
		enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED},
		hist.Events[len(hist.Events)-1].GetEventType(), "%s is not a closed execution", file)
	return hist
}

// testLogger sends the replayer's warnings and errors (the non-determinism
// details) to the test log.
func testLogger(t *testing.T) sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(&tlogHandler{t: t, Handler: slog.DiscardHandler}))
}

type tlogHandler struct {
	slog.Handler
	t     *testing.T
	attrs []slog.Attr
}

func (h *tlogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *tlogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	for _, a := range h.attrs {
		b.WriteString(" " + a.String())
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "StackTrace" { // the SDK's, not the workflow's: noise
			b.WriteString(" " + a.String())
		}
		return true
	})
	h.t.Log(b.String())
	return nil
}

func (h *tlogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &tlogHandler{Handler: h.Handler, t: h.t, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *tlogHandler) WithGroup(string) slog.Handler { return h }
