package workflows

import (
	"testing"

	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/testsuite"
)

// workflowSuite gives each test a fresh Temporal test environment; the
// tests of each workflow are one suite, whose fakes (activities mocked by
// reference) live beside it: fakeServices in order_test.go, fakeChannels in
// notification_test.go.
type workflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
}

func (s *workflowSuite) SetupTest() { s.env = s.NewTestWorkflowEnvironment() }

// SetupSubTest gives each s.Run subtest an environment of its own too.
func (s *workflowSuite) SetupSubTest() { s.env = s.NewTestWorkflowEnvironment() }

// OrderWorkflowSuite tests the order saga: order_test.go, order_control_test.go.
type OrderWorkflowSuite struct{ workflowSuite }

// RepairOrderWorkflowSuite tests the repair of an order closed without an outcome.
type RepairOrderWorkflowSuite struct{ workflowSuite }

// ReservationWorkflowSuite tests the stock reservation, alone and within an order.
type ReservationWorkflowSuite struct{ workflowSuite }

// NotificationWorkflowSuite tests the delivery of one message.
type NotificationWorkflowSuite struct{ workflowSuite }

// WebhookDeliveryWorkflowSuite tests a delivery to an integrator's endpoint.
type WebhookDeliveryWorkflowSuite struct{ workflowSuite }

// ShipmentWorkflowSuite tests one parcel's booking and tracking.
type ShipmentWorkflowSuite struct{ workflowSuite }

func TestShipmentWorkflow(t *testing.T) { suite.Run(t, new(ShipmentWorkflowSuite)) }

// ReturnWorkflowSuite tests a return: label, parcel back, restock, refund.
type ReturnWorkflowSuite struct{ workflowSuite }

func TestReturnWorkflow(t *testing.T) { suite.Run(t, new(ReturnWorkflowSuite)) }

func TestOrderWorkflow(t *testing.T)       { suite.Run(t, new(OrderWorkflowSuite)) }
func TestRepairOrderWorkflow(t *testing.T) { suite.Run(t, new(RepairOrderWorkflowSuite)) }
func TestReservationWorkflow(t *testing.T) { suite.Run(t, new(ReservationWorkflowSuite)) }
func TestNotificationWorkflow(t *testing.T) {
	suite.Run(t, new(NotificationWorkflowSuite))
}
func TestWebhookDeliveryWorkflow(t *testing.T) {
	suite.Run(t, new(WebhookDeliveryWorkflowSuite))
}
