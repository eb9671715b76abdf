package api

import (
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"strings"

	"github.com/orderflow/orderflow/internal/platform/httpx"
)

// Limits of an order request, checked at the edge.
const (
	maxItems       = 100
	maxQuantity    = 10_000
	maxIDLength    = 128
	maxTokenLength = 256
)

var (
	e164      = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	idPattern = regexp.MustCompile(`^[A-Za-z0-9._:@-]+$`)
)

// validate checks everything that needs no database; unknown SKUs are found
// when the order is priced.
func (req CreateOrderRequest) validate() *httpx.Problem {
	var errs []httpx.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, httpx.FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
	}
	switch {
	case len(req.Items) == 0:
		add("items", "must hold at least one item")
	case len(req.Items) > maxItems:
		add("items", "must hold at most %d items, got %d", maxItems, len(req.Items))
	default:
		for i, it := range req.Items {
			if len(it.Sku) > maxIDLength || !idPattern.MatchString(it.Sku) {
				add(fmt.Sprintf("items[%d].sku", i), "must be 1 to %d letters, digits or ._:@-", maxIDLength)
			}
			if it.Quantity <= 0 || it.Quantity > maxQuantity {
				add(fmt.Sprintf("items[%d].quantity", i), "must be between 1 and %d, got %d", maxQuantity, it.Quantity)
			}
		}
	}
	switch {
	case req.Payment.Token == "":
		add("payment.token", "is required")
	case len(req.Payment.Token) > maxTokenLength:
		add("payment.token", "must be at most %d characters", maxTokenLength)
	}
	if c := req.Contact; c != nil {
		if email := deref(c.Email); email != "" {
			if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email {
				add("contact.email", "must be a plain email address such as a@example.com")
			}
		}
		if phone := deref(c.Phone); phone != "" && !e164.MatchString(phone) {
			add("contact.phone", "must be an E.164 number such as +15005550006")
		}
	}
	return validationProblem(errs)
}

// validationProblem is a 422 listing errs, or nil when there are none.
func validationProblem(errs []httpx.FieldError) *httpx.Problem {
	if len(errs) == 0 {
		return nil
	}
	details := make([]string, len(errs))
	for i, e := range errs {
		details[i] = e.Field + " " + e.Detail
	}
	p := httpx.NewProblem(http.StatusUnprocessableEntity, strings.Join(details, "; "))
	p.Errors = errs
	return p
}
