package main

import (
	"fmt"
	"runtime/debug"
)

// versionString names the module version and, for a build from a checkout,
// the commit it was built from.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "cogpass (unknown version)"
	}
	return formatVersion(info)
}

// formatVersion reads the version and the VCS stamp (vcs.revision,
// vcs.modified: go build records them for a build inside a git checkout
// unless -buildvcs=false) from the build information.
func formatVersion(info *debug.BuildInfo) string {
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		return fmt.Sprintf("cogpass %s (commit %.12s%s, %s)", version, rev, modified, info.GoVersion)
	}
	return fmt.Sprintf("cogpass %s (%s; no VCS stamp: built outside a git checkout or with -buildvcs=false)", version, info.GoVersion)
}
