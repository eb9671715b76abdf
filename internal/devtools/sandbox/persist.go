package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Persist keeps the payment gateway's and the carrier's state (authorizations, captures, parcels,
// idempotency keys) in path across restarts, as a real gateway keeps it:
// otherwise an order waiting for approval over a `make run` restart would
// find its authorization gone. It loads what path holds and writes the
// ledger there after every change. Call it before serving.
func (s *Sandbox) Persist(path string) error {
	l, err := loadLedger(path)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger, s.stateFile = l, path
	return nil
}

// ledgerFile is the ledger as JSON: the types keep some fields unexported.
type ledgerFile struct {
	Authorizations map[string]*authorization   `json:"authorizations"`
	Captures       map[string]capturedFile     `json:"captures"`
	Responses      map[string]responseFile     `json:"responses"`
	Operations     []PaymentOperation          `json:"operations"`
	Shipments      map[string]*carrierShipment `json:"shipments"`
}

type capturedFile struct {
	capture
	Reference string `json:"reference"`
}

type responseFile struct {
	Fingerprint string          `json:"fingerprint"`
	Status      int             `json:"status"`
	Body        json.RawMessage `json:"body"`
}

// loadLedger reads path; a missing file is an empty ledger.
func loadLedger(path string) (ledger, error) {
	l := newLedger()
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	var f ledgerFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return l, fmt.Errorf("sandbox state %s: %w", path, err)
	}
	for id, a := range f.Authorizations {
		l.authorizations[id] = a
	}
	for id, c := range f.Captures {
		c.capture.reference = c.Reference
		l.captures[id] = &c.capture
	}
	for key, r := range f.Responses {
		l.responses[key] = storedResponse{fingerprint: r.Fingerprint, status: r.Status, body: r.Body}
	}
	l.operations = f.Operations
	for id, sh := range f.Shipments {
		l.shipments[id] = sh
	}
	return l, nil
}

// saveLedger writes l to path atomically (a crash leaves the old file).
// The caller holds s.mu.
func saveLedger(path string, l ledger) error {
	f := ledgerFile{
		Authorizations: l.authorizations,
		Captures:       map[string]capturedFile{},
		Responses:      map[string]responseFile{},
		Operations:     l.operations,
		Shipments:      l.shipments,
	}
	for id, c := range l.captures {
		f.Captures[id] = capturedFile{capture: *c, Reference: c.reference}
	}
	for key, r := range l.responses {
		f.Responses[key] = responseFile{Fingerprint: r.fingerprint, Status: r.status, Body: r.body}
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
