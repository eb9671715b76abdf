// Package sandbox impersonates, behind one http.Handler, the three providers
// orderflow talks to: a payment gateway, SendGrid v3 mail send and Twilio
// Messages. The real SDKs and clients run against it in development and tests,
// so no credentials or network are needed, and faults (errors, outages,
// latency) can be injected on demand to exercise retries and circuit breakers.
//
// Everything lives in memory; a restart starts clean.
//
// Control API, for tests and people:
//
//	GET    /_sandbox/messages   accepted emails and SMS
//	DELETE /_sandbox/messages   forget messages and all payment state
//	GET    /_sandbox/payments   payment operations (authorize, capture, void, refund)
//	GET    /_sandbox/faults     active faults
//	POST   /_sandbox/faults     add one: {"provider":"twilio","status":503,"times":3},
//	                            {"provider":"twilio","down":true}, {"provider":"payments","latency_ms":2000}
//	DELETE /_sandbox/faults     clear them all
//	GET    /_sandbox/stats      calls received per provider, faulted ones included
package sandbox

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/mux"
)

// Provider names, as used by faults, stats and recorded messages.
const (
	ProviderPayments = "payments"
	ProviderSendGrid = "sendgrid"
	ProviderTwilio   = "twilio"
)

var providers = []string{ProviderPayments, ProviderSendGrid, ProviderTwilio}

// Options configures a Sandbox. The zero value is usable.
type Options struct {
	// Logger receives one line per accepted message, payment operation and
	// injected fault. Defaults to slog.Default().
	Logger *slog.Logger
	// TwilioAuthToken, when set, must be the password of Twilio's basic auth,
	// as with the real API (and will sign status callbacks). When empty any
	// token is accepted.
	TwilioAuthToken string
	// Now is the clock used for timestamps. Defaults to time.Now.
	Now func() time.Time
}

// Sandbox is an http.Handler serving the payment gateway API (/v1/...),
// SendGrid (/v3/mail/send), Twilio (/2010-04-01/...) and its own control API
// (/_sandbox/...). It is safe for concurrent use.
type Sandbox struct {
	router          *mux.Router
	log             *slog.Logger
	now             func() time.Time
	twilioAuthToken string

	mu       sync.Mutex // guards everything below
	faults   map[string]*Fault
	calls    map[string]int
	messages []Message
	sms      map[string]twilioMessage // by SID, for fetches
	ledger   ledger
}

// New returns a Sandbox with empty recordings and no faults.
func New(opts Options) *Sandbox {
	s := &Sandbox{
		log:             opts.Logger,
		now:             opts.Now,
		twilioAuthToken: opts.TwilioAuthToken,
		faults:          map[string]*Fault{},
		calls:           map[string]int{},
		sms:             map[string]twilioMessage{},
		ledger:          newLedger(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.router = s.routes()
	return s
}

func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.router.ServeHTTP(w, r)
}

func (s *Sandbox) routes() *mux.Router {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path)
	})

	pay := r.PathPrefix("/v1").Subrouter()
	pay.Use(s.gate(ProviderPayments, func(w http.ResponseWriter, status int) {
		writePaymentError(w, status, "sandbox_fault", faultMessage(status))
	}))
	pay.HandleFunc("/authorizations", s.idempotent(s.authorize)).Methods(http.MethodPost)
	pay.HandleFunc("/authorizations/{id}/capture", s.idempotent(s.capture)).Methods(http.MethodPost)
	pay.HandleFunc("/authorizations/{id}/void", s.idempotent(s.void)).Methods(http.MethodPost)
	pay.HandleFunc("/captures/{id}/refunds", s.idempotent(s.refund)).Methods(http.MethodPost)

	sg := r.PathPrefix("/v3").Subrouter()
	sg.Use(s.gate(ProviderSendGrid, func(w http.ResponseWriter, status int) {
		writeSendGridErrors(w, status, sendGridError{Message: faultMessage(status)})
	}))
	sg.HandleFunc("/mail/send", s.sendMail).Methods(http.MethodPost)

	tw := r.PathPrefix("/2010-04-01/Accounts/{AccountSid}").Subrouter()
	tw.Use(s.gate(ProviderTwilio, func(w http.ResponseWriter, status int) {
		// Twilio's generic HTTP errors are 20000 + status (20429, 20503...).
		writeTwilioError(w, status, 20000+status, faultMessage(status))
	}), s.twilioAuth)
	tw.HandleFunc("/Messages.json", s.createMessage).Methods(http.MethodPost)
	tw.HandleFunc("/Messages/{MessageSid}.json", s.fetchMessage).Methods(http.MethodGet)

	ctl := r.PathPrefix("/_sandbox").Subrouter()
	ctl.HandleFunc("/messages", s.listMessages).Methods(http.MethodGet)
	ctl.HandleFunc("/messages", s.resetRecordings).Methods(http.MethodDelete)
	ctl.HandleFunc("/payments", s.listPayments).Methods(http.MethodGet)
	ctl.HandleFunc("/faults", s.listFaults).Methods(http.MethodGet)
	ctl.HandleFunc("/faults", s.postFault).Methods(http.MethodPost)
	ctl.HandleFunc("/faults", s.deleteFaults).Methods(http.MethodDelete)
	ctl.HandleFunc("/stats", s.getStats).Methods(http.MethodGet)
	return r
}
