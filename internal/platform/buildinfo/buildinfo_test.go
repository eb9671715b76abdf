package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromVCS(t *testing.T) {
	settings := func(kv ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return info
	}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, "devel"},
		{"no commit", settings("GOOS", "linux"), true, "devel"},
		{"clean tree", settings("vcs.revision", "0123456789abcdef0123", "vcs.modified", "false"), true, "0123456789ab"},
		{"changed tree", settings("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"), true, "0123456789ab-dirty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromVCS(tc.info, tc.ok); got != tc.want {
				t.Fatalf("fromVCS = %q, want %q", got, tc.want)
			}
		})
	}
}
