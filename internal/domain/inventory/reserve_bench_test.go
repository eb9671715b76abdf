package inventory

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkReserve measures the reserve path end to end: one PostgreSQL
// transaction (claim the reservation, compare-and-set the stock row, append
// the ledger and outbox rows) and the Redis invalidation. "contended" runs 8
// writers per CPU on one SKU, where optimistic-lock conflicts and retries show.
func BenchmarkReserve(b *testing.B) {
	ctx := context.Background()
	s := cachedStore()
	var seq atomic.Int64
	reserve := func(b *testing.B, sku string) {
		id := "bench-" + sku + "-" + strconv.FormatInt(seq.Add(1), 10)
		if _, err := s.Reserve(ctx, reserveReq(id, Line{SKU: sku, Quantity: 1})); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		sku := newSKU(b, map[string]int{"w1": 1 << 30, "w2": 1 << 30})
		b.ReportAllocs()
		for b.Loop() {
			reserve(b, sku)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("contended", func(b *testing.B) {
		sku := newSKU(b, map[string]int{"w1": 1 << 30, "w2": 1 << 30})
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				reserve(b, sku)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}
