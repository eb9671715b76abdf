package payloadcrypt_test

import (
	"os"
	"path/filepath"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
)

// An order's histories as recorded before encryption: the order, its
// reservation and its notification, which the replay tests use too.
const orderHistories = "../../../workflows/testdata/histories/clear-completed-*.json"

// The messages whose payloads never go through the codec: search
// attributes (encoded with the default converter, for the server to index)
// and headers (the context propagators encode their own).
var notEncoded = map[protoreflect.FullName]bool{
	(&commonpb.SearchAttributes{}).ProtoReflect().Descriptor().FullName(): true,
	(&commonpb.Header{}).ProtoReflect().Descriptor().FullName():           true,
}

var payloadName = (&commonpb.Payload{}).ProtoReflect().Descriptor().FullName()

// collectPayloads appends every payload m holds, at any depth, that the
// codec encodes: inputs, results, signals, markers, memos, failures.
func collectPayloads(m protoreflect.Message, out []*commonpb.Payload) []*commonpb.Payload {
	name := m.Descriptor().FullName()
	if notEncoded[name] {
		return out
	}
	if name == payloadName {
		return append(out, m.Interface().(*commonpb.Payload))
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil:
		case fd.IsList():
			for i, l := 0, v.List(); i < l.Len(); i++ {
				out = collectPayloads(l.Get(i).Message(), out)
			}
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					out = collectPayloads(mv.Message(), out)
					return true
				})
			}
		default:
			out = collectPayloads(v.Message(), out)
		}
		return true
	})
	return out
}

// anOrder is every payload of one completed order, and its histories.
func anOrder(b *testing.B) ([]*commonpb.Payload, []*historypb.History) {
	b.Helper()
	files, err := filepath.Glob(orderHistories)
	if err != nil || len(files) == 0 {
		b.Fatalf("no history at %s: %v", orderHistories, err)
	}
	var (
		payloads  []*commonpb.Payload
		histories []*historypb.History
	)
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
		_ = r.Close()
		if err != nil {
			b.Fatalf("%s: %v", f, err)
		}
		histories = append(histories, h)
		for _, e := range h.GetEvents() {
			payloads = collectPayloads(e.ProtoReflect(), payloads)
		}
	}
	return payloads, histories
}

func size(payloads []*commonpb.Payload) (n int) {
	for _, p := range payloads {
		n += proto.Size(p)
	}
	return n
}

// BenchmarkOrderPayloads measures what the codec costs one order: every
// payload of a completed order's three histories encrypted once and
// decrypted once, against what serializing the same payloads costs anyway
// (Marshal), and serializing the three histories whole (MarshalHistories),
// as the server does to store them. Run the four in one run and compare
// them: their ratios hold from machine to machine better than their times.
//
//	go test -run '^$' -bench OrderPayloads -benchmem ./internal/platform/payloadcrypt/
func BenchmarkOrderPayloads(b *testing.B) {
	payloads, histories := anOrder(b)
	c, err := payloadcrypt.New(keyA)
	if err != nil {
		b.Fatal(err)
	}
	encrypted, err := c.Encode(payloads)
	if err != nil {
		b.Fatal(err)
	}
	plain, sealed := size(payloads), size(encrypted)
	report := func(b *testing.B) {
		b.ReportMetric(float64(len(payloads)), "payloads/order")
		b.ReportMetric(float64(plain), "plainB/order")
		b.ReportMetric(float64(sealed), "encryptedB/order")
	}

	b.Run("Marshal", func(b *testing.B) {
		b.SetBytes(int64(plain))
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range payloads {
				if _, err := proto.Marshal(p); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
	b.Run("MarshalHistories", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, h := range histories {
				if _, err := proto.Marshal(h); err != nil {
					b.Fatal(err)
				}
			}
		}
		report(b)
	})
	b.Run("Encode", func(b *testing.B) {
		b.SetBytes(int64(plain))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Encode(payloads); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("Decode", func(b *testing.B) {
		b.SetBytes(int64(plain))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Decode(encrypted); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}
