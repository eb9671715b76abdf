package devstack

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

func TestTemporalKeepsWorkflowsAndGainsSearchAttributesAcrossRestarts(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	port, err := FreePort() // fixed, so a client outlives a restart
	require.NoError(t, err)
	opts := TemporalOptions{
		CLIPath:          temporalCLI(t),
		Port:             port,
		DBFile:           filepath.Join(t.TempDir(), "temporal.db"),
		Namespace:        "orderflow",
		SearchAttributes: map[string]string{"OrderStatus": "Keyword"},
		Logger:           testLogger(t),
	}
	temporal, err := StartTemporal(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, temporal.Stop)
	require.Equal(t, loopback(port), temporal.Address())

	c, err := client.DialContext(ctx, client.Options{HostPort: temporal.Address(), Namespace: "orderflow"})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	require.NoError(t, err)
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "orderflow"})
	require.NoError(t, err)
	require.Equal(t, "orderflow", ns.GetNamespaceInfo().GetName())
	require.Equal(t, enums.INDEXED_VALUE_TYPE_KEYWORD, searchAttributes(t, ctx, c)["OrderStatus"])

	resp, err := http.Get(temporal.UIURL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "Web UI at %s", temporal.UIURL())

	// No worker is needed: the workflow only has to exist, and still exist
	// after the restart, because the SQLite file keeps it.
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "order-1", TaskQueue: "orders"}, "OrderWorkflow")
	require.NoError(t, err)
	require.NoError(t, temporal.Restart(ctx))
	requireRunning(t, ctx, c, run)

	// A later `make run` may declare a new search attribute for the same DB.
	require.NoError(t, temporal.Stop(ctx))
	require.NoError(t, temporal.Stop(ctx), "Stop is idempotent")
	opts.SearchAttributes = map[string]string{"OrderStatus": "Keyword", "OrderTotal": "Double"}
	again, err := StartTemporal(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, again.Stop)
	// A new client: the old one's connection is in gRPC's reconnect backoff.
	c2, err := client.DialContext(ctx, client.Options{HostPort: again.Address(), Namespace: "orderflow"})
	require.NoError(t, err)
	defer c2.Close()
	require.Equal(t, enums.INDEXED_VALUE_TYPE_DOUBLE, searchAttributes(t, ctx, c2)["OrderTotal"])
	requireRunning(t, ctx, c2, run)
}

func TestTemporalRejectsUnknownSearchAttributeType(t *testing.T) {
	_, err := StartTemporal(t.Context(), TemporalOptions{
		CLIPath:          temporalCLI(t),
		LogFile:          filepath.Join(t.TempDir(), "temporal.log"),
		SearchAttributes: map[string]string{"OrderStatus": "String"},
	})
	require.ErrorContains(t, err, `OrderStatus has type "String"`)
}

func temporalCLI(t *testing.T) string {
	path, err := filepath.Abs("../../../bin/temporal")
	require.NoError(t, err)
	return path
}

func searchAttributes(t *testing.T, ctx context.Context, c client.Client) map[string]enums.IndexedValueType {
	t.Helper()
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "orderflow"})
	require.NoError(t, err)
	return resp.GetCustomAttributes()
}

func requireRunning(t *testing.T, ctx context.Context, c client.Client, run client.WorkflowRun) {
	t.Helper()
	desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err, "the client reconnects and finds the workflow")
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.GetWorkflowExecutionInfo().GetStatus())
}
