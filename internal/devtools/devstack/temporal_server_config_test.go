package devstack

import (
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

func TestTemporalServerConfigFiles(t *testing.T) {
	files, err := temporalServerConfig{
		Shards: 4, PostgresPort: 25432, User: "orderflow", Password: `pa"ss`,
		Frontend: 25233, FrontendHTTP: 25243, serverPorts: serverPorts{History: 30001, Matching: 30002, Worker: 30003,
			FrontendMembership: 30004, HistoryMembership: 30005, MatchingMembership: 30006, WorkerMembership: 30007},
		Metrics: 30008, DynamicConfig: "/data/temporal-server/dynamicconfig.yaml",
		Namespace: "default", UI: 25234, CodecEndpoint: "http://127.0.0.1:25080/codec",
	}.files()
	require.NoError(t, err)
	require.Len(t, files, 3)

	var server struct {
		Persistence struct {
			NumHistoryShards int `json:"numHistoryShards"`
			DataStores       map[string]struct {
				SQL struct {
					PluginName, DatabaseName, ConnectAddr, User, Password string
				} `json:"sql"`
			} `json:"datastores"`
		} `json:"persistence"`
		Global struct {
			Metrics struct {
				Prometheus struct{ ListenAddress, HandlerPath string } `json:"prometheus"`
			} `json:"metrics"`
		} `json:"global"`
		Services map[string]struct {
			RPC struct{ GRPCPort, HTTPPort, MembershipPort int } `json:"rpc"`
		} `json:"services"`
		DynamicConfigClient struct{ Filepath string } `json:"dynamicConfigClient"`
	}
	require.NoError(t, yaml.Unmarshal(files["config/orderflow.yaml"], &server), "%s", files["config/orderflow.yaml"])
	require.Equal(t, 4, server.Persistence.NumHistoryShards)
	for store, db := range map[string]string{"postgres-default": "temporal", "postgres-visibility": "temporal_visibility"} {
		sql := server.Persistence.DataStores[store].SQL
		require.Equal(t, "postgres12", sql.PluginName, store)
		require.Equal(t, db, sql.DatabaseName, store)
		require.Equal(t, "127.0.0.1:25432", sql.ConnectAddr, store)
		require.Equal(t, `pa"ss`, sql.Password, "quoted, so any password reads back")
	}
	require.Equal(t, "127.0.0.1:30008", server.Global.Metrics.Prometheus.ListenAddress)
	require.Equal(t, "/metrics", server.Global.Metrics.Prometheus.HandlerPath)
	require.Equal(t, 25233, server.Services["frontend"].RPC.GRPCPort, "where the dev server listens")
	require.Equal(t, 25243, server.Services["frontend"].RPC.HTTPPort)
	require.Equal(t, 30001, server.Services["history"].RPC.GRPCPort)
	require.Equal(t, 30007, server.Services["worker"].RPC.MembershipPort)
	require.Equal(t, "/data/temporal-server/dynamicconfig.yaml", server.DynamicConfigClient.Filepath)

	var dynamic map[string][]struct {
		Value any `json:"value"`
	}
	require.NoError(t, yaml.UnmarshalStrict(files["dynamicconfig.yaml"], &dynamic))
	for _, key := range []string{"system.enableDeploymentVersions", "frontend.workerVersioningWorkflowAPIs", "frontend.enableExecuteMultiOperation"} {
		require.Equal(t, true, dynamic[key][0].Value, key)
	}
	require.EqualValues(t, 2000, dynamic["history.transferProcessorMaxPollRPS"][0].Value)

	var ui struct {
		TemporalGRPCAddress string                    `json:"temporalGrpcAddress"`
		Port                int                       `json:"port"`
		Codec               struct{ Endpoint string } `json:"codec"`
	}
	require.NoError(t, yaml.Unmarshal(files["ui/orderflow.yaml"], &ui))
	require.Equal(t, "127.0.0.1:25233", ui.TemporalGRPCAddress)
	require.Equal(t, 25234, ui.Port)
	require.Equal(t, "http://127.0.0.1:25080/codec", ui.Codec.Endpoint)
}

// A new start on the same directory reuses the ports while they are free.
func TestInternalPortsAreKeptWhileFree(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal-server", "ports.json")
	first, err := internalPorts(file)
	require.NoError(t, err)
	require.Less(t, first.FrontendMembership, 32768)
	again, err := internalPorts(file)
	require.NoError(t, err)
	require.Equal(t, first, again)

	l, err := net.Listen("tcp", loopback(first.History))
	require.NoError(t, err)
	defer l.Close()
	moved, err := internalPorts(file)
	require.NoError(t, err)
	require.NotEqual(t, first.History, moved.History, "a port taken since")
}
