package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"cogpass/input"
)

// A misspelt command, flag or value gets one line that names the problem,
// a suggestion when a known name is close (input.Nearest), and the short
// usage: a line or two, not the whole help.

// commandNames are the commands a suggestion may name (the AWS CLI's
// aliases too).
func commandNames() []string {
	names := append(allCommandNames(), "help")
	sort.Strings(names)
	return names
}

// synopsis is a command's usage line, or "" for a name that is no
// command's (an alias has none of its own).
func synopsis(name string) string {
	for _, c := range commands {
		if c.name == name {
			return "cogpass " + c.name + " " + c.synopsis
		}
	}
	return ""
}

func unknownCommand(name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if s := input.Nearest(name, commandNames()); s != "" {
		msg += fmt.Sprintf(": did you mean %s?", s)
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return usageError("%s\nusage: cogpass %s [flags]\nrun 'cogpass --help' for the commands, 'cogpass COMMAND --help' for a command's flags", msg, strings.Join(names, "|"))
}

// flagError turns the flag package's parse error into one line, a
// suggestion for an unknown flag and the command's short usage.
func flagError(fs *flag.FlagSet, err error) error {
	name := fs.Name()
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		given := strings.TrimLeft(rest, "-")
		msg = fmt.Sprintf("unknown flag --%s", given)
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := input.Nearest(given, names); s != "" {
			msg += fmt.Sprintf(": did you mean --%s?", s)
		}
	} else if rest, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		msg = fmt.Sprintf("flag --%s needs a value", strings.TrimLeft(rest, "-"))
	} else if v, f, ok := strings.Cut(strings.TrimPrefix(msg, "invalid value "), " for flag -"); ok && strings.HasPrefix(msg, "invalid value ") {
		// invalid value "x" for flag -rate: parse error
		reason := ""
		if i := strings.Index(f, ": "); i >= 0 {
			f, reason = f[:i], f[i+2:]
		}
		if reason == "parse error" || strings.Contains(reason, "invalid syntax") || strings.Contains(reason, "time: ") {
			reason = wantOf(fs.Lookup(f))
		}
		msg = fmt.Sprintf("--%s %s: %s", f, v, reason)
	} else if v, f, ok := strings.Cut(strings.TrimPrefix(msg, "invalid boolean value "), " for -"); ok && strings.HasPrefix(msg, "invalid boolean value ") {
		msg = fmt.Sprintf("--%s=%s: want true or false", strings.SplitN(f, ":", 2)[0], strings.Trim(v, `"`))
	}
	return usageError("%s: %s\n%s", name, msg, shortUsage(name))
}

// shortUsage is a command's synopsis and where its flags are listed.
func shortUsage(cmd string) string {
	syn := synopsis(cmd)
	if syn == "" {
		syn = "cogpass " + cmd + " [flags]"
	}
	return fmt.Sprintf("usage: %s\nrun 'cogpass %s --help' for the flags and an example", syn, cmd)
}

// unknownValue is a flag value outside a fixed set, with a suggestion and
// the command's short usage.
func unknownValue(cmd, flagName, value string, valid []string) error {
	msg := fmt.Sprintf("--%s %q: want one of %s", flagName, value, strings.Join(valid, ", "))
	if s := input.Nearest(value, valid); s != "" {
		msg = fmt.Sprintf("--%s %q: did you mean %s? (want one of %s)", flagName, value, s, strings.Join(valid, ", "))
	}
	return usageError("%s: %s\n%s", cmd, msg, shortUsage(cmd))
}

// wantOf says what kind of value a flag takes.
func wantOf(f *flag.Flag) string {
	if f == nil {
		return "invalid value"
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return "invalid value"
	}
	switch g.Get().(type) {
	case float64:
		return "want a number"
	case int, int64, uint, uint64:
		return "want a whole number"
	case time.Duration:
		return "want a duration such as 500ms, 30s or 2m"
	case bool:
		return "want true or false"
	}
	return "invalid value"
}
