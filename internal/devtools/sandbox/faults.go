package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Fault is what the sandbox does to the calls a provider receives. Effects
// combine: a latency applies before an injected status.
type Fault struct {
	Provider string `json:"provider"`
	// Status is answered instead of the real response, for the next Times
	// calls, or to one call in Every (a steady error rate), or for every
	// call until cleared when both are 0.
	Status int `json:"status,omitempty"`
	Times  int `json:"times,omitempty"`
	Every  int `json:"every,omitempty"`
	// Down answers 503 to every call until cleared: a provider outage.
	Down bool `json:"down,omitempty"`
	// LatencyMS delays every call, until the client gives up.
	LatencyMS int `json:"latency_ms,omitempty"`

	seen int // calls counted for Every
}

func (f Fault) validate() error {
	switch {
	case !slices.Contains(knownProviders, f.Provider):
		return fmt.Errorf("unknown provider %q (want one of %v)", f.Provider, knownProviders)
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d is not an error status (400-599)", f.Status)
	case f.Times < 0 || f.Every < 0 || f.LatencyMS < 0:
		return errors.New("times, every and latency_ms cannot be negative")
	case (f.Times > 0 || f.Every > 0) && f.Status == 0:
		return errors.New("times and every need a status")
	case f.Times > 0 && f.Every > 0:
		return errors.New("times and every exclude each other")
	case f.Status == 0 && !f.Down && f.LatencyMS == 0:
		return errors.New("a fault needs a status, down or latency_ms")
	}
	return nil
}

// AddFault adds f to the faults of its provider; fields set in f replace the
// ones already there, others stay.
func (s *Sandbox) AddFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.faults[f.Provider]
	if !ok {
		s.faults[f.Provider] = &f
		return nil
	}
	if f.Status != 0 {
		cur.Status, cur.Times, cur.Every, cur.seen = f.Status, f.Times, f.Every, 0
	}
	cur.Down = cur.Down || f.Down
	if f.LatencyMS != 0 {
		cur.LatencyMS = f.LatencyMS
	}
	return nil
}

// Faults returns the active faults, ordered by provider.
func (s *Sandbox) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Fault{}
	for _, p := range knownProviders {
		if f, ok := s.faults[p]; ok {
			out = append(out, *f)
		}
	}
	return out
}

// ClearFaults removes every fault.
func (s *Sandbox) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// Stats returns, per provider, how many calls it received, faulted ones
// included: what a circuit breaker in front of it let through.
func (s *Sandbox) Stats() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(knownProviders))
	for _, p := range knownProviders {
		out[p] = s.calls[p]
	}
	return out
}

// gate is the middleware in front of a provider's routes: it counts the call,
// then plays the provider's faults. fail writes the injected status in the
// provider's own error shape, so the SDKs parse it as they would the real one.
func (s *Sandbox) gate(provider string, fail func(w http.ResponseWriter, status int)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			latency, status := s.takeFault(provider)
			if latency > 0 {
				// net/http notices a client hanging up only once the request
				// body is consumed, so read it now to let the wait end early.
				body, err := readBody(w, r)
				if err != nil {
					writeProblem(w, http.StatusBadRequest, err.Error())
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				timer := time.NewTimer(latency)
				select {
				case <-timer.C:
				case <-r.Context().Done():
					timer.Stop()
					return // the client gave up; nobody reads an answer
				}
			}
			if status == 0 {
				next.ServeHTTP(w, r)
				return
			}
			s.log.Info("sandbox: injected fault", "provider", provider, "status", status, "method", r.Method, "path", r.URL.Path)
			if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			fail(w, status)
		})
	}
}

// takeFault counts a call to provider and returns the latency and status
// (0: none) to inflict on it, consuming one of a limited number of statuses.
func (s *Sandbox) takeFault(provider string) (latency time.Duration, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[provider]++
	f, ok := s.faults[provider]
	if !ok {
		return 0, 0
	}
	latency = time.Duration(f.LatencyMS) * time.Millisecond
	switch {
	case f.Down:
		status = http.StatusServiceUnavailable
	case f.Every > 0:
		f.seen++
		if f.seen%f.Every == 0 {
			status = f.Status
		}
	case f.Status != 0:
		status = f.Status
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				f.Status = 0
			}
		}
	}
	if f.Status == 0 && !f.Down && f.LatencyMS == 0 {
		delete(s.faults, provider)
	}
	return latency, status
}

func faultMessage(status int) string {
	return "sandbox fault: " + strconv.Itoa(status) + " " + http.StatusText(status)
}

func (s *Sandbox) listFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Sandbox) postFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := readJSON(w, r, &f); err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.AddFault(f); err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Sandbox) deleteFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) getStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}
