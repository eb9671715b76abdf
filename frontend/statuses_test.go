package frontend

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/orderflow/orderflow/internal/domain/orders"
)

// The dashboard's lists of statuses are the API's: it follows an order
// until it and its returns are settled, and offers refunds of paid ones.
func TestDashboardStatusListsAreTheAPIs(t *testing.T) {
	app, err := static.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	lists := map[string][]string{"SETTLED": names(orders.SettledStatuses), "PAID": names(paidStatuses()),
		"RETURN_FINAL": names(orders.ReturnFinalStatuses)}
	for name, want := range lists {
		m := regexp.MustCompile(`const ` + name + ` = (\[[^\]]*\]);`).FindSubmatch(app)
		if m == nil {
			t.Fatalf("app.js has no const %s", name)
		}
		var got []string
		if err := json.Unmarshal(m[1], &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("app.js %s = %v, the API's are %v", name, got, want)
		}
	}
}

func paidStatuses() []orders.Status {
	var paid []orders.Status
	for _, st := range orders.Statuses {
		if st.Paid() {
			paid = append(paid, st)
		}
	}
	return paid
}

func names[S ~string](list []S) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = string(s)
	}
	return out
}
