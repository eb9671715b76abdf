// Package buildinfo is the binary's version: the build ID of its workers in
// their Worker Deployment, and what `orderflow version` prints.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// version and commit are stamped at build time, by the Makefile and the
// Dockerfile:
//
//	go build -ldflags "-X github.com/orderflow/orderflow/internal/platform/buildinfo.version=v1.4.0" ./cmd/orderflow
var version, commit string

// Version is the stamped version; a binary built without one (go build,
// go run, a test) is named by the commit Go recorded in it, with "-dirty"
// when the tree had changes, and is "devel" when there is none.
var Version = sync.OnceValue(func() string {
	if version != "" {
		return version
	}
	return fromVCS(debug.ReadBuildInfo())
})

// Commit is the stamped commit, or the one Go recorded ("" when neither
// is known).
var Commit = sync.OnceValue(func() string {
	if commit != "" {
		return commit
	}
	if v := fromVCS(debug.ReadBuildInfo()); v != "devel" {
		return v
	}
	return ""
})

func fromVCS(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "devel"
	}
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision == "" {
		return "devel"
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified == "true" {
		revision += "-dirty"
	}
	return revision
}
