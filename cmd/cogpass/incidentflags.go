package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cogpass/cognito"
	"cogpass/input"
	"cogpass/job"
)

// incidentFlags are the write commands' flags for incident work: skip users
// by status, a canary of the first rows, and a sign-out after each write.
type incidentFlags struct {
	skipStatus string
	limit      int64
	signOut    bool

	statuses []string // parsed --skip-status
}

func (f *incidentFlags) register(fs *flag.FlagSet, cmd job.Command) {
	if cmd != job.Change {
		fs.StringVar(&f.skipStatus, "skip-status", "", "STATUS[,STATUS]: skip users Cognito shows in one of these statuses (e.g. RESET_REQUIRED for a reset); each user is looked up first")
		fs.BoolVar(&f.signOut, "sign-out", false, "after each successful write, sign the user out of every device (AdminUserGlobalSignOut): refresh and access tokens stop working")
	} else {
		// Registered so that the usage error can say why, rather than
		// "flag provided but not defined".
		fs.StringVar(&f.skipStatus, "skip-status", "", "not for change: ChangePassword works from the user's token, and no look-up shows a token's user status")
	}
	fs.Int64Var(&f.limit, "limit", 0, "do only the first N rows to send (a canary), then stop as a finished job that --resume continues (0: no limit)")
}

// check validates the flags; they are usage errors.
func (f *incidentFlags) check(cmd job.Command) error {
	if f.limit < 0 {
		return usageError("--limit must be 0 (no limit) or more")
	}
	if f.skipStatus == "" {
		return nil
	}
	if cmd == job.Change {
		// ChangePassword authorises with the user's access token; GetUser,
		// the look-up a token allows, returns no UserStatus, and a user with
		// a valid access token has signed in, so is CONFIRMED anyway.
		// https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetUser.html
		return usageError("--skip-status does not go with change: ChangePassword works from each user's access token, and GetUser, the look-up a token allows, does not return the user's status")
	}
	statuses, err := parseStatuses(f.skipStatus)
	if err != nil {
		return err
	}
	f.statuses = statuses
	return nil
}

// parseStatuses reads STATUS[,STATUS] against the SDK's UserStatusType
// values; a misspelt one is a usage error with the closest value.
func parseStatuses(list string) ([]string, error) {
	known := cognito.UserStatuses()
	slices.Sort(known)
	var out []string
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(known, s) {
			if up := strings.ToUpper(s); slices.Contains(known, up) {
				return nil, usageError("--skip-status %q: statuses are upper case: did you mean %s?", s, up)
			}
			if near := input.Nearest(s, known); near != "" {
				return nil, usageError("--skip-status %q: not a user status: did you mean %s?", s, near)
			}
			return nil, usageError("--skip-status %q: not a user status; want one of %s", s, strings.Join(known, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, usageError("--skip-status: give one or more statuses, such as RESET_REQUIRED")
	}
	return out, nil
}

// apply puts the flags in the job's configuration.
func (f *incidentFlags) apply(cfg *job.Config) {
	cfg.SkipStatus = f.statuses
	cfg.Limit = f.limit
	cfg.SignOut = f.signOut
}

// params are the settings a resumed run must share: which users are
// skipped, and whether they are signed out. --limit is not one: each run
// may take another canary.
func (f *incidentFlags) params(p map[string]string) {
	if len(f.statuses) > 0 {
		s := slices.Clone(f.statuses)
		slices.Sort(s)
		p["skip_status"] = strings.Join(s, ",")
	}
	if f.signOut {
		p["sign_out"] = strconv.FormatBool(f.signOut)
	}
}

// progressTotal is the rows the progress display expects: no more than
// --limit.
func (f *incidentFlags) progressTotal(rows int64) int64 {
	if f.limit > 0 && rows > f.limit {
		return f.limit
	}
	return rows
}

// limitOf is what the summary says the limit was taken from: the rows the
// run had to do (the manifest's, less those an earlier run finished).
func limitOf(total, resumed int64) int64 {
	if total <= 0 {
		return 0
	}
	return max(0, total-resumed)
}

// confirm adds the incident flags to the confirmation prompt's facts: the
// sign-out and the skipped statuses in the action, and the rows --limit
// leaves to send.
func (f *incidentFlags) confirm(c *confirmFacts) {
	if len(f.statuses) > 0 {
		c.action += " (skipping users " + strings.Join(f.statuses, " or ") + ")"
	}
	if f.signOut {
		c.action += ", then sign each user out of every device"
	}
	if f.limit > 0 && c.send > f.limit {
		c.action += fmt.Sprintf(", stopping after %d rows (--limit)", f.limit)
		c.send = f.limit
	}
}
