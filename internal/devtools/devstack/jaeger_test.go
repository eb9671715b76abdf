package devstack

import (
	"bytes"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every listener is on loopback at a port we chose: Jaeger's defaults
// (0.0.0.0 or localhost, 16685, 13133, 8888, ...) would reach the network or
// collide with another Jaeger.
func TestJaegerConfigListensOnlyWhereTold(t *testing.T) {
	ports := jaegerPorts{UI: 16686, QueryGRPC: 40001, OTLPGRPC: 4317, OTLPHTTP: 4318, Health: 40002}
	b, err := jaegerConfig(ports)
	require.NoError(t, err)
	var endpoints []string
	for _, m := range regexp.MustCompile(`endpoint: (\S+)`).FindAllSubmatch(b, -1) {
		endpoints = append(endpoints, string(m[1]))
	}
	slices.Sort(endpoints)
	require.Equal(t, []string{"127.0.0.1:16686", "127.0.0.1:40001", "127.0.0.1:40002", "127.0.0.1:4317", "127.0.0.1:4318"}, endpoints, "%s", b)
	require.True(t, bytes.Contains(b, []byte("level: none")), "no collector metrics listener:\n%s", b)
}

// bin/jaeger is built by `make run` only, so this test runs once a run has
// built it. A span sent as the roles send theirs (OTLP/HTTP) can be found
// through the query API.
func TestJaegerReceivesSpansAndAnswersQueries(t *testing.T) {
	t.Parallel()
	binary, err := filepath.Abs("../../../bin/jaeger")
	require.NoError(t, err)
	if !isFile(binary) {
		t.Skipf("no %s: `make run` (or `make bin/jaeger`) builds it", binary)
	}
	ctx := testContext(t)
	j, err := StartJaeger(ctx, JaegerOptions{Path: binary, Dir: t.TempDir(), Logger: testLogger(t)})
	require.NoError(t, err)
	stopOnCleanup(t, j.Stop)
	require.NoError(t, HTTPReady(j.UIURL())(ctx), "the UI's port")

	span := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orderflow-test"}}]},
		"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"place order",
		"kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}`
	resp, err := http.Post(j.OTLPHTTPEndpoint()+"/v1/traces", "application/json", strings.NewReader(span))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// The batch processor hands spans to storage within 200 ms.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var services struct {
			Data []string `json:"data"`
		}
		getJSON(c, j.UIURL()+"/api/services", &services)
		require.Contains(c, services.Data, "orderflow-test")
	}, 10*time.Second, 100*time.Millisecond)
}
