package devstack

import (
	"bytes"
	"text/template"

	"sigs.k8s.io/yaml"
)

// serverConfigEnv is the environment name both servers load their
// configuration as: <dir>/config/orderflow.yaml and <dir>/ui/orderflow.yaml.
const serverConfigEnv = "orderflow"

// temporalServerConfig is what the server's and the Web UI server's
// configuration files are made from.
type temporalServerConfig struct {
	Shards                 int
	PostgresPort           int
	User, Password         string
	Frontend, FrontendHTTP int // TemporalOptions.Port and HTTPPort
	serverPorts
	Metrics       int
	DynamicConfig string // absolute path of the dynamic config file
	Namespace     string
	UI            int
	CodecEndpoint string
}

// serverPorts are the internal services' gRPC ports and all services'
// membership (ringpop) ports.
type serverPorts struct {
	History, Matching, Worker                                                   int
	FrontendMembership, HistoryMembership, MatchingMembership, WorkerMembership int
}

// serverTemplate is the server's configuration, modelled on the server
// release's config/development-postgres12.yaml: every service in one
// process, bound to loopback, metrics where Prometheus scrapes the dev
// server's. Strings are quoted with %q, which YAML reads as Go writes it.
var serverTemplate = template.Must(template.New("server").Parse(`# Written by orderflow dev at every start: edits are lost.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: {{.Shards}}
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:{{.PostgresPort}}"
        connectProtocol: tcp
        user: {{printf "%q" .User}}
        password: {{printf "%q" .Password}}
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:{{.PostgresPort}}"
        connectProtocol: tcp
        user: {{printf "%q" .User}}
        password: {{printf "%q" .Password}}
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:{{.Metrics}}"
      handlerPath: /metrics
services:
  frontend:
    rpc:
      grpcPort: {{.Frontend}}
      httpPort: {{.FrontendHTTP}}
      membershipPort: {{.FrontendMembership}}
      bindOnLocalHost: true
  history:
    rpc:
      grpcPort: {{.History}}
      membershipPort: {{.HistoryMembership}}
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: {{.Matching}}
      membershipPort: {{.MatchingMembership}}
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: {{.Worker}}
      membershipPort: {{.WorkerMembership}}
      bindOnLocalHost: true
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{.Frontend}}"
      httpAddress: "127.0.0.1:{{.FrontendHTTP}}"
dcRedirectionPolicy:
  policy: noop
archival:
  history:
    state: disabled
  visibility:
    state: disabled
namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled
publicClient:
  hostPort: "127.0.0.1:{{.Frontend}}"
dynamicConfigClient:
  filepath: {{printf "%q" .DynamicConfig}}
  pollInterval: 10s
`))

// uiTemplate is the Web UI server's configuration, as the dev server
// builds it for its embedded UI: the codec server decodes payloads, and the
// session cookie works over plain HTTP.
var uiTemplate = template.Must(template.New("ui").Parse(`# Written by orderflow dev at every start: edits are lost.
temporalGrpcAddress: "127.0.0.1:{{.Frontend}}"
host: 127.0.0.1
port: {{.UI}}
enableUi: true
defaultNamespace: {{printf "%q" .Namespace}}
hideLogs: true
cors:
  cookieInsecure: true
codec:
  endpoint: {{printf "%q" .CodecEndpoint}}
`))

// serverDynamicConfig is the server's dynamic config: what the CLI's dev
// server sets (temporalcli/devserver and defaultDynamicConfigValues in
// github.com/temporalio/cli), what `orderflow dev` passes the dev server by
// flag (temporal.go), and the features the roles rely on, pinned on
// although this release enables them by default, so that a server upgrade
// that changes a default does not silently break the local stack.
var serverDynamicConfig = map[string]any{
	// The dev server's: search attributes usable at once, with the
	// persistence budget raised to match, and more visibility calls.
	"system.forceSearchAttributesCacheRefreshOnRead": true,
	"frontend.persistenceMaxQPS":                     10000,
	"history.persistenceMaxQPS":                      45000,
	"frontend.namespaceRPS.visibility":               100,
	// orderflow's, as for the dev server (see its flags in temporal.go).
	"history.transferProcessorMaxPollRPS": 2000,
	"system.enableActivityEagerExecution": true,
	"matching.updateAckInterval":          "5s",
	// Worker Deployment versioning (workers/deployment.go), the updates and
	// Update-With-Start the orders API sends.
	"system.enableDeploymentVersions":        true,
	"frontend.workerVersioningWorkflowAPIs":  true,
	"frontend.enableUpdateWorkflowExecution": true,
	"frontend.enableExecuteMultiOperation":   true,
}

// files renders the configuration files, by path under the server's Dir.
func (c temporalServerConfig) files() (map[string][]byte, error) {
	var server, ui bytes.Buffer
	if err := serverTemplate.Execute(&server, c); err != nil {
		return nil, err
	}
	if err := uiTemplate.Execute(&ui, c); err != nil {
		return nil, err
	}
	// The file's format: each key holds a list of values with
	// constraints; one without constraints applies everywhere.
	dynamic := map[string][]map[string]any{}
	for key, value := range serverDynamicConfig {
		dynamic[key] = []map[string]any{{"value": value}}
	}
	dc, err := yaml.Marshal(dynamic)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"config/" + serverConfigEnv + ".yaml": server.Bytes(),
		"ui/" + serverConfigEnv + ".yaml":     ui.Bytes(),
		"dynamicconfig.yaml":                  dc,
	}, nil
}
