// Package activities holds orderflow's Temporal activities: thin adapters
// from the workflows' requests to the outside world (PostgreSQL, Kafka, the
// payment gateway, SendGrid, Twilio). Each is idempotent under its request's
// key, so a retry, or a worker killed mid-call, changes nothing twice. Errors
// that no retry can fix are returned as non-retryable application errors
// with the types declared in the workflows package.
package activities
