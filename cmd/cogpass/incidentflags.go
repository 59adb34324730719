package main

import (
	"flag"

	"cogpass/job"
)

// registerIncidentFlags binds the write commands' flags for incident work
// into the job's options: skip users by status, a canary of the first rows,
// and a sign-out after each write (SkipStatus, Limit and SignOut, which the
// session checks).
func registerIncidentFlags(fs *flag.FlagSet, o *job.Options) {
	if o.Command.NamesUserInPool() {
		fs.StringVar(&o.SkipStatus, "skip-status", "", "STATUS[,STATUS]: skip users Cognito shows in one of these statuses (e.g. RESET_REQUIRED for a reset); each user is looked up first")
		fs.BoolVar(&o.SignOut, "sign-out", false, "after each successful write, sign the user out of every device (AdminUserGlobalSignOut): refresh and access tokens stop working")
	} else {
		// Registered so that the usage error can say why, rather than
		// "flag provided but not defined".
		fs.StringVar(&o.SkipStatus, "skip-status", "", "not for change: ChangePassword works from the user's token, and no look-up shows a token's user status")
	}
	fs.Int64Var(&o.Limit, "limit", 0, "do only the first N rows to send (a canary), then stop as a finished job that --resume continues (0: no limit)")
}
