package app

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/internal/platform/config"
)

func TestWorkerReplicasKeepTheRoleNamesWhenAlone(t *testing.T) {
	p := config.DevPorts{WorkerOrdersPort: 9101, WorkerInventoryPort: 9102, WorkerNotificationsPort: 9103, WorkerFulfilmentPort: 9105}
	one := workerReplicas(p, 1)
	require.Len(t, one, 4)
	require.Equal(t, workerReplica{role: "worker-orders", name: "worker-orders", queue: "orders", env: "WORKER_ORDERS_PORT", replica: 1, port: 9101}, one[0])

	two := workerReplicas(p, 2)
	var names []string
	ports := map[int]bool{9100: true, 9104: true} // the api's and the frontend's ops ports
	for _, w := range two {
		names = append(names, w.name)
		require.False(t, ports[w.port], "port %d of %s is taken", w.port, w.name)
		ports[w.port] = true
	}
	require.Equal(t, []string{"worker-orders-1", "worker-orders-2", "worker-inventory-1", "worker-inventory-2",
		"worker-notifications-1", "worker-notifications-2", "worker-fulfilment-1", "worker-fulfilment-2"}, names)
	require.Equal(t, 9111, two[1].port)
	require.Equal(t, "worker-orders", two[1].role, "one Prometheus job for both")
}

func TestTemporalModeChoosesTheServer(t *testing.T) {
	dev := config.Dev{TemporalMode: "dev", TemporalHistoryShards: 4}
	s, err := temporalServerBinaries(dev)
	require.NoError(t, err)
	require.Nil(t, s, "the dev server")

	dev.TemporalMode, dev.TemporalServer = "server", "bin/temporal-server"
	s, err = temporalServerBinaries(dev)
	require.NoError(t, err)
	require.Equal(t, 4, s.HistoryShards)
	require.Equal(t, "bin/temporal-server", s.Server)

	dev.TemporalHistoryShards = 0
	_, err = temporalServerBinaries(dev)
	require.ErrorContains(t, err, "TEMPORAL_HISTORY_SHARDS")
	dev.TemporalMode = "cluster"
	_, err = temporalServerBinaries(dev)
	require.ErrorContains(t, err, `TEMPORAL_MODE is "cluster"`)
}
