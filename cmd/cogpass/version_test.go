package main

import (
	"runtime/debug"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}},
			"cogpass (devel) (commit 0123456789ab, go1.26.8)"},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}},
			"cogpass (devel) (commit 0123456789ab+dirty, go1.26.8)"},
		{nil, "cogpass (devel) (go1.26.8; no VCS stamp: built outside a git checkout or with -buildvcs=false)"},
	} {
		info := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: tc.settings}
		if got := formatVersion(info); got != tc.want {
			t.Errorf("formatVersion(%v) = %q, want %q", tc.settings, got, tc.want)
		}
	}
}
