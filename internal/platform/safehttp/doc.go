// Package safehttp is the HTTP client of requests to URLs that someone
// outside the platform chose, such as customers' webhook receivers.
//
// Such a URL could name the cluster's own services (a database's port, the
// Kubernetes API, an admin endpoint on loopback) or the cloud's metadata
// service at 169.254.169.254, and turn the worker into a proxy into the
// private network (server-side request forgery, SSRF). The client refuses
// every address that is not public (Classify) unless its Policy allows the
// network.
//
// The check runs where it cannot be gone around: in the dialer's Control
// hook, on the IP address the socket is about to connect to, after DNS
// resolution (dial.go). Checking the URL's host name first and then letting
// the transport resolve it again would leave a window: a name that resolves
// to a public address when checked and to 10.0.0.5 when dialed (DNS
// rebinding) would get through. CheckURL gives the same answer earlier, when
// a URL is stored, so an API can refuse it with a 4xx before any delivery.
//
// Every refusal is a *RefusedError that says why and how to allow it.
package safehttp
