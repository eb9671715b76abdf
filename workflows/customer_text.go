package workflows

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orderflow/orderflow/activities"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"go.temporal.io/sdk/temporal"
)

// What customers read about their orders: the failure reason the API shows
// and the messages they are sent. Every sentence a customer reads is written
// here, in plain words; technical causes stay in the steps' errors.

// notApprovedReason is a rejected or unanswered approval, for the customer:
// an admin's reason is for operators (the step's error keeps it).
const notApprovedReason = "The order could not be approved."

// riskRefusedReason is an order the risk assessment refused, for the
// customer: which rules applied is for admins, and would teach a fraudster
// what to change.
const riskRefusedReason = "The order could not be accepted. If you think this is a mistake, please contact us."

// unavailableReason is any failure that is not the customer's to act on.
const unavailableReason = "A service the order needs was unavailable."

// cancelledReason is a cancellation, with the canceller's reason if given.
func cancelledReason(reason string) string {
	if reason = strings.TrimSpace(reason); reason == "" {
		return "Cancelled on request."
	}
	return cancelledPrefix + sentence(reason)
}

const cancelledPrefix = "Cancelled on request: "

// customerReason is why the order failed, for the customer: the business
// reason (out of stock, a declined card) when there is one, otherwise a plain
// sentence.
func customerReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case activities.ErrOutOfStock, activities.ErrUnknownSKU, activities.ErrPaymentDeclined, activities.ErrReservationReleased:
			return sentence(capitalize(appErr.Message()))
		case ErrHighRisk:
			return riskRefusedReason
		}
	}
	return unavailableReason
}

// orderMessage is what the customer is told about the order's outcome.
//
// No outcome is urgent: a confirmation, or a failure that charged nothing,
// can wait for the morning, so quiet hours hold its SMS. The customer's
// channel order and quiet hours come with the order's contact; orders placed
// without them (and before them) go by email, then SMS, at any hour.
func orderMessage(in orders.Input, st orders.State) notifications.Input {
	msg := notifications.Input{
		NotificationID: OrderNotificationID(in.OrderID, st.Status),
		OrderID:        in.OrderID,
		CustomerID:     in.CustomerID,
		Kind:           st.Status.Event(),
		Channels:       channelsOf(in.Contact),
		Email:          in.Contact.Email,
		Phone:          in.Contact.Phone,
		TimeZone:       in.Contact.TimeZone,
		QuietHours:     in.Contact.QuietHours,
	}
	msg.Subject, msg.Body = orderText(in, st)
	return msg
}

// orderText is the subject and body of the message about st's outcome.
func orderText(in orders.Input, st orders.State) (subject, body string) {
	charge := "You have not been charged."
	if charged(st) {
		charge = "Your payment has been refunded."
	}
	switch st.Status {
	case orders.StatusCompleted:
		return fmt.Sprintf("Order %s confirmed", in.OrderID),
			fmt.Sprintf("Thank you! Your order %s of %s is confirmed.", in.OrderID, formatMoney(in.Total, in.Currency))
	case orders.StatusShipped:
		return fmt.Sprintf("Order %s shipped", in.OrderID),
			fmt.Sprintf("Your order %s is on its way. Its tracking is on your order's page.", in.OrderID)
	case orders.StatusDelivered:
		return fmt.Sprintf("Order %s delivered", in.OrderID),
			fmt.Sprintf("Your order %s has been delivered. Thank you for shopping with us.", in.OrderID)
	case orders.StatusCancelled:
		body = fmt.Sprintf("Your order %s has been cancelled.", in.OrderID)
		if given, ok := strings.CutPrefix(st.FailureReason, cancelledPrefix); ok {
			body += " Reason given: " + given
		} else if st.FailureReason != "" && st.FailureReason != cancelledReason("") {
			body += " " + sentence(st.FailureReason) // e.g. not approved
		}
		return fmt.Sprintf("Order %s cancelled", in.OrderID), body + " " + charge
	default:
		reason := st.FailureReason
		if reason == "" {
			reason = unavailableReason
		}
		return fmt.Sprintf("Order %s could not be completed", in.OrderID),
			fmt.Sprintf("Sorry, your order %s could not be completed. %s %s", in.OrderID, sentence(reason), charge)
	}
}

// sentence ends s with exactly one full stop (or the question or exclamation
// mark it has), so reasons from gateways and people read as sentences.
func sentence(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), ".")
	if s == "" || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// charged reports whether the order's payment was captured, as its state or
// (for a repaired order, whose read model keeps no capture ID) its steps say.
func charged(st orders.State) bool {
	for _, step := range st.Steps {
		if step.Name == StepCapturePayment && step.Status == StepCompleted {
			return true
		}
	}
	return st.CaptureID != ""
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

func formatMoney(minor int64, currency string) string {
	return fmt.Sprintf("%d.%02d %s", minor/100, minor%100, currency)
}

// OrderNotificationID is the ID of the notification that tells an order's
// customer it reached status: one per order and outcome, so a retried or
// reset order does not tell them twice.
func OrderNotificationID(orderID string, status orders.Status) string {
	return orderID + "-" + string(status)
}

// channelsOf is the customer's channels in order; contacts without them
// (and from before them) go by email, then SMS.
func channelsOf(c notifications.Contact) []string {
	if len(c.Channels) == 0 {
		return []string{notifications.ChannelEmail, notifications.ChannelSMS}
	}
	return c.Channels
}

// refundMessage tells the customer their money is on its way back. Like an
// order's outcome, it can wait for the morning.
func refundMessage(p orders.RefundToPay) notifications.Input {
	r, c := p.Refund, p.Contact
	return notifications.Input{
		NotificationID: r.OrderID + "-refund-" + r.ID,
		OrderID:        r.OrderID,
		CustomerID:     p.CustomerID,
		Kind:           orders.EventRefunded,
		Channels:       channelsOf(c),
		Email:          c.Email,
		Phone:          c.Phone,
		TimeZone:       c.TimeZone,
		QuietHours:     c.QuietHours,
		Subject:        fmt.Sprintf("Refund for order %s", r.OrderID),
		Body: fmt.Sprintf("We have refunded %s for your order %s. It reaches your card within a few days.",
			formatMoney(r.Amount, r.Currency), r.OrderID),
	}
}
