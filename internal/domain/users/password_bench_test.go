package users_test

import (
	"context"
	"testing"

	"github.com/orderflow/orderflow/internal/domain/users"
)

// BenchmarkHashPassword is the cost of one sign-up or sign-in: one argon2id
// hash with users.HashParams. It bounds sign-ins per core per second.
func BenchmarkHashPassword(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := users.HashPassword(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
