// Package ciworkflow checks the repository's CI workflow files
// (.github/workflows) with actionlint, offline, in `make test`: a typo in
// an expression, an unknown action input or a bad `needs` fails here, not
// on the forge.
package ciworkflow
