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

// A Redis that accepts connections and never answers costs an assessment its
// counts, not the local activity's timeout (which would send the order to
// review): an old account's small order stays low. The client here has no
// timeouts of its own, so only the activity's deadline on the counters can
// end the calls; without it they would hang (the guard below fails then).
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
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ContextTimeoutEnabled: true,
		ReadTimeout: -1, WriteTimeout: -1, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	a := &RiskActivities{Rules: risk.DefaultRules(), Counters: risk.NewCounters(rdb)}
	placed := time.Now()
	order := risk.Order{OrderID: "o-1", CustomerID: "c-1", CardToken: "tok_visa", Total: 2500, PlacedAt: placed,
		AccountCreatedAt: placed.Add(-30 * 24 * time.Hour)}

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	var got risk.Assessment
	var declineErr error
	done := make(chan error, 1)
	go func() {
		val, err := env.ExecuteActivity(a.AssessRisk, AssessRiskRequest{Order: order})
		if err == nil {
			err = val.Get(&got)
		}
		if err == nil {
			_, declineErr = env.ExecuteActivity(a.RecordDecline, RecordDeclineRequest{Order: order, DeclinedAt: placed})
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second): // a hang guard, not a speed check
		t.Fatal("the counters' calls hung: they have no deadline of their own")
	}
	require.Equal(t, risk.LevelLow, got.Level)
	require.Equal(t, []string{"recent orders and declines could not be counted"}, got.Reasons)
	require.Error(t, declineErr, "a decline that could not be counted says so")
}
