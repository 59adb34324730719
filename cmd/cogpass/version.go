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
	return fmt.Sprintf("cogpass %s (%s)", version, info.GoVersion)
}
