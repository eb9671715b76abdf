// Package sandbox impersonates, behind one http.Handler, the services
// orderflow talks to: a payment gateway, SendGrid v3 mail send, Twilio
// Messages, a generic HTTP push service, a Web Push service with the
// browsers subscribed to it (webpush.go), and a webhook receiver. The real SDKs
// and clients run against it in development and tests, so no credentials or
// network are needed, and faults (errors, outages, latency) can be injected on
// demand to exercise retries and circuit breakers.
//
// Like the providers, it reports delivery afterwards: Twilio status callbacks
// (sent, delivered) to each message's StatusCallback URL, signed with
// X-Twilio-Signature; SendGrid events (processed, delivered) to the event
// webhook URL, signed with ECDSA P-256 as SendGrid's signed event webhook is.
//
// Everything lives in memory; a restart starts clean.
//
// Control API, for tests and people:
//
//	GET    /_sandbox/messages   accepted emails, SMS, pushes and webhooks
//	DELETE /_sandbox/messages   forget messages and all payment state
//	GET    /_sandbox/payments   payment operations (authorize, capture, void, refund)
//	GET    /_sandbox/faults     active faults
//	POST   /_sandbox/faults     add one: {"provider":"twilio","status":503,"times":3},
//	                            {"provider":"twilio","down":true}, {"provider":"payments","latency_ms":2000},
//	                            {"provider":"sendgrid","status":503,"every":3}
//	DELETE /_sandbox/faults     clear them all
//	GET    /_sandbox/stats      calls received per provider, faulted ones included
//	POST   /_sandbox/webpush/subscriptions       a browser's new Web Push subscription
//	DELETE /_sandbox/webpush/subscriptions/{id}  make it gone: its endpoint answers 410
//	PUT    /_sandbox/receivers/{name}            configure /hooks/{name}: {"secret":"whsec_...","responses":[503,503,200],"redirect_to":"https://..."}
//	DELETE /_sandbox/receivers/{name}            forget that configuration
//	GET    /_sandbox/receivers/{name}/requests   what /hooks/{name} received, oldest first
//	GET    /_sandbox/carrier/shipments           the parcels booked, with their tracking events
//	POST   /_sandbox/carrier/shipments/{id}/advance  move a parcel on: {} to its next status, {"to":"exception"} to that one
package sandbox

import (
	"context"
	"crypto/ecdsa"
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
	ProviderPush     = "push"
	ProviderWebhook  = "webhook"
	ProviderCarrier  = "carrier"
)

var knownProviders = []string{ProviderPayments, ProviderSendGrid, ProviderTwilio, ProviderPush, ProviderWebhook, ProviderCarrier}

// Options configures a Sandbox. The zero value is usable.
type Options struct {
	// Logger receives one line per accepted message, payment operation and
	// injected fault. Defaults to slog.Default().
	Logger *slog.Logger
	// TwilioAuthToken, when set, must be the password of Twilio's basic auth,
	// as with the real API. When empty any token is accepted. Status
	// callbacks are signed with the token the message was sent with, as
	// Twilio signs with the account's.
	TwilioAuthToken string
	// SendGridEventWebhookURL receives SendGrid's delivery events; "" sends none.
	SendGridEventWebhookURL string
	// SendGridEventWebhookKey signs the events. Defaults to a key made by
	// New; SendGridEventWebhookPublicKey returns its public half.
	SendGridEventWebhookKey *ecdsa.PrivateKey
	// WebhookSigningSecret, when set, makes the webhook receivers verify
	// the Standard Webhooks signature and answer 401 to a bad one, as a
	// careful receiver would; a receiver configured with a secret of its
	// own verifies with that one (receivers.go).
	WebhookSigningSecret string
	// CarrierAPIKey, when set, must be the carrier API's bearer token.
	CarrierAPIKey string
	// CarrierCallbackURL receives the carrier's tracking events, signed
	// with CarrierSigningSecret; "" sends none.
	CarrierCallbackURL   string
	CarrierSigningSecret string
	// Now is the clock used for timestamps. Defaults to time.Now.
	Now func() time.Time
}

// Sandbox is an http.Handler serving the payment gateway API (/v1/...),
// SendGrid (/v3/mail/send), Twilio (/2010-04-01/...), the push service
// (/push/v1/messages), the Web Push service (/webpush/{subscription}), a
// webhook receiver (/hooks/{name}), a parcel carrier (/carrier/v1/..., carrier.go) and its own control API (/_sandbox/...). It is safe for concurrent use. Close it to stop the
// delivery callbacks still under way.
type Sandbox struct {
	router             *mux.Router
	log                *slog.Logger
	now                func() time.Time
	twilioAuthToken    string
	sendGridEvents     string
	sendGridKey        *ecdsa.PrivateKey
	webhookSecret      []byte
	carrierAPIKey      string
	carrierCallbackURL string
	carrierSecret      []byte

	callbackClient *http.Client
	callbackCtx    context.Context // cancelled by Close
	stopCallbacks  context.CancelFunc
	callbacks      sync.WaitGroup

	mu       sync.Mutex // guards everything below
	faults   map[string]*Fault
	calls    map[string]int
	messages []Message
	sms      map[string]twilioMessage // by SID, for fetches
	// pushSubscriptions are the Web Push subscriptions made, by ID.
	pushSubscriptions map[string]*pushSubscription
	// receivers are the configured webhook receivers, by name.
	receivers map[string]*receiver
	ledger    ledger
	// stateFile, when set, receives the ledger after every change (Persist).
	stateFile string
}

// New returns a Sandbox with empty recordings and no faults.
func New(opts Options) *Sandbox {
	s := &Sandbox{
		log:                opts.Logger,
		now:                opts.Now,
		twilioAuthToken:    opts.TwilioAuthToken,
		sendGridEvents:     opts.SendGridEventWebhookURL,
		sendGridKey:        opts.SendGridEventWebhookKey,
		webhookSecret:      []byte(opts.WebhookSigningSecret),
		carrierAPIKey:      opts.CarrierAPIKey,
		carrierCallbackURL: opts.CarrierCallbackURL,
		carrierSecret:      []byte(opts.CarrierSigningSecret),
		callbackClient:     &http.Client{Timeout: 5 * time.Second},
		faults:             map[string]*Fault{},
		calls:              map[string]int{},
		sms:                map[string]twilioMessage{},
		pushSubscriptions:  map[string]*pushSubscription{},
		receivers:          map[string]*receiver{},
		ledger:             newLedger(),
	}
	s.callbackCtx, s.stopCallbacks = context.WithCancel(context.Background())
	if s.sendGridKey == nil {
		s.sendGridKey = newEventWebhookKey()
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
	pay.HandleFunc("/authorizations", s.findAuthorizations).Methods(http.MethodGet).Queries("reference", "{reference}")
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

	push := r.PathPrefix("/push/v1").Subrouter()
	push.Use(s.gate(ProviderPush, func(w http.ResponseWriter, status int) {
		writePushError(w, status, "sandbox_fault", faultMessage(status))
	}))
	push.HandleFunc("/messages", s.sendPush).Methods(http.MethodPost)

	webPush := r.PathPrefix("/webpush").Subrouter()
	webPush.Use(s.gate(ProviderPush, func(w http.ResponseWriter, status int) {
		writeProblem(w, status, faultMessage(status))
	}))
	webPush.HandleFunc("/{id}", s.receiveWebPush).Methods(http.MethodPost)

	hooks := r.PathPrefix("/hooks").Subrouter()
	hooks.Use(s.gate(ProviderWebhook, func(w http.ResponseWriter, status int) {
		writeProblem(w, status, faultMessage(status))
	}))
	hooks.HandleFunc("/{name}", s.receiveWebhook).Methods(http.MethodPost)

	s.carrierRoutes(r)

	ctl := r.PathPrefix("/_sandbox").Subrouter()
	ctl.HandleFunc("/messages", s.listMessages).Methods(http.MethodGet)
	ctl.HandleFunc("/messages", s.resetRecordings).Methods(http.MethodDelete)
	ctl.HandleFunc("/payments", s.listPayments).Methods(http.MethodGet)
	ctl.HandleFunc("/faults", s.listFaults).Methods(http.MethodGet)
	ctl.HandleFunc("/faults", s.postFault).Methods(http.MethodPost)
	ctl.HandleFunc("/faults", s.deleteFaults).Methods(http.MethodDelete)
	ctl.HandleFunc("/webpush/subscriptions", s.createPushSubscription).Methods(http.MethodPost)
	ctl.HandleFunc("/webpush/subscriptions/{id}", s.expirePushSubscription).Methods(http.MethodDelete)
	ctl.HandleFunc("/receivers/{name}", s.putReceiver).Methods(http.MethodPut)
	ctl.HandleFunc("/receivers/{name}", s.deleteReceiver).Methods(http.MethodDelete)
	ctl.HandleFunc("/receivers/{name}/requests", s.listReceivedRequests).Methods(http.MethodGet)
	ctl.HandleFunc("/carrier/shipments", s.listCarrierShipments).Methods(http.MethodGet)
	ctl.HandleFunc("/carrier/shipments/{id}/advance", s.advanceShipment).Methods(http.MethodPost)
	// /stats stays last: gorilla/mux 1.8.1 turns a 405 into a 404 when a
	// later route of the subrouter follows the one whose method mismatched.
	ctl.HandleFunc("/stats", s.getStats).Methods(http.MethodGet)
	return r
}
