package activities

import "github.com/orderflow/orderflow/internal/domain/orders"

// BookShipmentRequest books one shipment's parcel with the carrier.
// IdempotencyKey is the shipment's and its attempt's: a reshipped parcel is
// a new booking.
type BookShipmentRequest struct {
	IdempotencyKey string        `json:"idempotency_key"`
	ShipmentID     string        `json:"shipment_id"`
	WarehouseID    string        `json:"warehouse_id"`
	Items          []orders.Line `json:"items"`
}

// CancelShipmentRequest cancels a booked parcel at the carrier.
type CancelShipmentRequest struct {
	IdempotencyKey    string `json:"idempotency_key"`
	CarrierShipmentID string `json:"carrier_shipment_id"`
}

// BookReturnRequest issues the label of a return, keyed by the return.
type BookReturnRequest struct {
	IdempotencyKey string        `json:"idempotency_key"`
	ReturnID       string        `json:"return_id"`
	Items          []orders.Line `json:"items"`
}
