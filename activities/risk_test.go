package activities

import (
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/orderflow/orderflow/internal/domain/risk"
)

// A Redis that accepts connections and never answers costs an assessment a
// second and its counts, not the local activity's timeout (which would send
// the order to review): an old account's small order stays low.
func TestAssessRiskWithAHungRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() }) // held open, never answered
		}
	}()
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	a := &RiskActivities{Rules: risk.DefaultRules(), Counters: risk.NewCounters(rdb)}
	placed := time.Now()
	order := risk.Order{OrderID: "o-1", CustomerID: "c-1", CardToken: "tok_visa", Total: 2500, PlacedAt: placed,
		AccountCreatedAt: placed.Add(-30 * 24 * time.Hour)}

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	start := time.Now()
	val, err := env.ExecuteActivity(a.AssessRisk, AssessRiskRequest{Order: order})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 3*time.Second)
	var got risk.Assessment
	require.NoError(t, val.Get(&got))
	require.Equal(t, risk.LevelLow, got.Level)
	require.Equal(t, []string{"recent orders and declines could not be counted"}, got.Reasons)

	start = time.Now()
	_, err = env.ExecuteActivity(a.RecordDecline, RecordDeclineRequest{Order: order, DeclinedAt: placed})
	require.Error(t, err)
	require.Less(t, time.Since(start), 3*time.Second)
}
