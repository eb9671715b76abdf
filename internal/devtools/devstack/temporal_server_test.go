package devstack

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// The Temporal server on PostgreSQL behaves as the dev server does for
// its users: the namespace and search attributes are there, the Web UI
// answers, and workflows survive a restart and a new start, which finds
// the schema in place.
func TestTemporalServerOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	dir := t.TempDir()
	pg, err := StartPostgres(ctx, PostgresOptions{
		DataDir: filepath.Join(dir, "postgres"), User: "orderflow", Password: `p@ss"word:with?specials`,
		Database: "orderflow", Fast: true, Logger: testLogger(t),
	})
	require.NoError(t, err)
	stopOnCleanup(t, pg.Stop)

	port, err := freeLowPort() // fixed, so a client outlives a restart
	require.NoError(t, err)
	opts := TemporalOptions{
		Port:             port,
		Namespace:        "orderflow",
		SearchAttributes: map[string]string{"OrderStatus": "Keyword"},
		LogFile:          filepath.Join(dir, "temporal-server.log"),
		Logger:           testLogger(t),
		Server: &TemporalServerOptions{
			ServerPath: binary(t, "temporal-server"), SQLToolPath: binary(t, "temporal-sql-tool"), UIServerPath: binary(t, "temporal-ui-server"),
			Postgres: pg, Dir: filepath.Join(dir, "temporal-server"), HistoryShards: 2,
		},
	}
	temporal, err := StartTemporal(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, temporal.Stop)
	require.Equal(t, loopback(port), temporal.Address())
	var names []string
	for _, p := range temporal.Processes() {
		require.Positive(t, p.PID)
		names = append(names, p.Name)
	}
	require.Equal(t, []string{"temporal-server", "temporal-ui"}, names)

	c, err := client.DialContext(ctx, client.Options{HostPort: temporal.Address(), Namespace: "orderflow"})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, enums.INDEXED_VALUE_TYPE_KEYWORD, searchAttributes(t, ctx, c)["OrderStatus"])
	resp, err := http.Get(temporal.UIURL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "Web UI at %s", temporal.UIURL())

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "order-1", TaskQueue: "orders"}, "OrderWorkflow")
	require.NoError(t, err)
	require.NoError(t, temporal.Restart(ctx))
	requireRunning(t, ctx, c, run)

	require.NoError(t, temporal.Stop(ctx))
	again, err := StartTemporal(ctx, opts)
	require.NoError(t, err)
	stopOnCleanup(t, again.Stop)
	c2, err := client.DialContext(ctx, client.Options{HostPort: again.Address(), Namespace: "orderflow"})
	require.NoError(t, err)
	defer c2.Close()
	requireRunning(t, ctx, c2, run)
}

func binary(t *testing.T, name string) string {
	path, err := filepath.Abs(filepath.Join("../../../bin", name))
	require.NoError(t, err)
	return path
}
