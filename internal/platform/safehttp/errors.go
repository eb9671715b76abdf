package safehttp

import "fmt"

// RefusedError is a request, or a URL, that the Policy refuses: a caller
// tells it from a failed delivery with errors.As, and a refusal is for good
// (retrying it reaches the same address), unlike a connection error.
type RefusedError struct {
	// Subject is what was refused, as the Policy names it: "webhook target".
	Subject string
	// Target is the URL, or the address refused: "10.0.0.5:80", or
	// "localhost (127.0.0.1:80)" for a name that resolved to it.
	Target string
	// Range is why an address was refused; Public when the refusal is of
	// the URL itself (Reason).
	Range Range
	// Reason says what is wrong with a URL refused before any address was
	// looked at: "is not an http or https URL".
	Reason string
	// Setting is the configuration that would allow the address.
	Setting string
}

func (e *RefusedError) Error() string {
	if e.Range == Public {
		return fmt.Sprintf("%s %s %s", e.Subject, e.Target, e.Reason)
	}
	article := "a"
	if r := e.Range[0]; r == 'a' || r == 'e' || r == 'i' || r == 'o' || r == 'u' {
		article = "an"
	}
	return fmt.Sprintf("%s %s is %s %s address; allow it with %s", e.Subject, e.Target, article, e.Range, e.Setting)
}
