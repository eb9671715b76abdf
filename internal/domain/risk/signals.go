package risk

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Signal names one measured fact about an order.
type Signal string

// The signals a rule can score.
const (
	// OrderTotal is the order's total, in minor units.
	OrderTotal Signal = "order_total"
	// AccountAgeHours is how long the customer's account has existed.
	AccountAgeHours Signal = "account_age_hours"
	// ContactOverride is 1 when the order's contact addresses are not
	// the profile's, else 0.
	ContactOverride Signal = "contact_override"
	// CustomerOrders and CardOrders count the orders of the customer and
	// of the card within the window, this one included.
	CustomerOrders Signal = "customer_orders"
	CardOrders     Signal = "card_orders"
	// CustomerFailedPayments and CardFailedPayments count the declined
	// authorizations of the customer and of the card within the window.
	CustomerFailedPayments Signal = "customer_failed_payments"
	CardFailedPayments     Signal = "card_failed_payments"
	// CountersUnavailable is 1 when the counters could not be read (Redis
	// was down): the four counts are then missing, and a rule may make up
	// for them.
	CountersUnavailable Signal = "counters_unavailable"
)

// Signals lists every signal.
var Signals = []Signal{OrderTotal, AccountAgeHours, ContactOverride, CustomerOrders, CardOrders,
	CustomerFailedPayments, CardFailedPayments, CountersUnavailable}

// Values are the measured signals of one order.
type Values map[Signal]float64

// Order is what the assessment knows of an order when it is placed.
type Order struct {
	OrderID    string
	CustomerID string
	// CardToken is the payment token; the counters keep only its hash.
	CardToken string
	Total     int64
	PlacedAt  time.Time
	// AccountCreatedAt is when the customer's account was opened; zero
	// when unknown (an order started from the CLI), which measures no age.
	AccountCreatedAt time.Time
	ContactOverride  bool
}

// values are the order's own signals, without the counters.
func (o Order) values() Values {
	v := Values{OrderTotal: float64(o.Total), ContactOverride: 0}
	if o.ContactOverride {
		v[ContactOverride] = 1
	}
	if !o.AccountCreatedAt.IsZero() {
		v[AccountAgeHours] = o.PlacedAt.Sub(o.AccountCreatedAt).Hours()
	}
	return v
}

// cardKey is the card's name in the counters: a hash, so Redis never holds
// a payment token.
func cardKey(token string) string {
	sum := sha256.Sum256([]byte("orderflow-risk-card:" + token))
	return hex.EncodeToString(sum[:16])
}
