package job

import (
	"context"
	"slices"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/input"
	"cogpass/report"
)

// operation is one call the job makes for a row: the write of a command
// (set.go, reset.go, change.go) or the sign-out that may follow it
// (signout.go). It holds everything in which the operations differ; the row
// flow (row.go) asks it and is the same for all of them, and the runner
// (runner.go) keeps the queue, the workers and the stop.
//
// Adding an operation:
//  1. Write job/<name>.go: its Command constant, its report actions, and a
//     type with the methods below (send makes the call; plan says what a dry
//     run would do; settle decides an answer lost in flight).
//  2. Give it its line in operations (below), and its API operation's quota
//     category in cognito/quota, which picks the pacer it runs on.
//  3. Give the API call to cognito.API (cognito/api.go) if it is new, and the
//     command to cmd/cogpass (its table, commands.go), whose flags follow
//     the traits (Command.NamesUserInPool, Command.SendsPassword).
//
// docs/architecture.md has every step, the ones outside job/ too.
type operation interface {
	// Operation is the Cognito API operation of the call. Its quota
	// category picks the pacer the call waits for.
	Operation() string
	// traits says what the row flow does around the call.
	traits() traits
	// action is the row's action as the report names it.
	action(cfg *Config, row input.Row) string
	// describe is what a job of this operation does, for the confirmation
	// prompt ("reset the passwords").
	describe(permanent bool) string
	// check finds what the row's own fields lack for this operation,
	// before any call (nil when nothing).
	check(row input.Row) *rowProblem
	// supplied is the password the row brings ("" when none).
	supplied(row input.Row) string
	// plan fills a dry run's row: what the real run would do to the user
	// (nil when not looked up), or why it would fail.
	plan(r *runner, out *report.Row, w *write, user *cip.AdminGetUserOutput)
	// send makes the call.
	send(ctx context.Context, r *runner, w *write) error
	// settle decides a failed call whose earlier attempt, or an earlier
	// run, may have been applied (see ambiguous.go). A settling call's
	// attempts are added to res.
	settle(r *runner, w *write, res *callResult) settlement
	// target is the user status an action of this operation leaves when it
	// succeeds ("" when the action is not this operation's, or leaves the
	// status as it was).
	target(action string) string
}

// traits are what the row flow does for an operation.
type traits struct {
	// admin: the call names the user by user pool and username (the
	// Admin* operations), so the row needs a pool, and the job can look the
	// user up first (AdminGetUser), skip it by status and sign it out.
	// Without it (ChangePassword) an access token names the user.
	admin bool
	// password: the call sends a password, supplied by the row or
	// generated; the job reads the pool's policy (DescribeUserPool) to check
	// or generate it, and the pool's username case rule with it.
	password bool
}

// operations are the commands' write operations.
var operations = map[Command]operation{
	Set:    set{},
	Reset:  reset{},
	Change: change{},
}

// traits are the traits of the command's operation (none for an unknown
// command).
func (c Command) traits() traits {
	if op, ok := operations[c]; ok {
		return op.traits()
	}
	return traits{}
}

// NamesUserInPool reports whether the command's call names the user by user
// pool and username: an Admin* operation (AdminSetUserPassword,
// AdminResetUserPassword), which is signed with AWS credentials, needs a
// pool for every row, and lets the job look the user up first
// (AdminGetUser), skip it by status and sign it out. Without it
// (ChangePassword) the user's access token names the user and the call is
// sent unsigned. False for an unknown command.
func (c Command) NamesUserInPool() bool { return c.traits().admin }

// SendsPassword reports whether the command's call sends a password,
// supplied by the row or generated (AdminSetUserPassword's Password,
// ChangePassword's ProposedPassword): its job has a secrets file for
// generated passwords and reads the pool's policy. AdminResetUserPassword
// sends none (Cognito sends the user a code). False for an unknown command.
func (c Command) SendsPassword() bool { return c.traits().password }

// Commands are the commands that run a job, one per write operation, in
// name order.
func Commands() []Command {
	cmds := make([]Command, 0, len(operations))
	for c := range operations {
		cmds = append(cmds, c)
	}
	slices.Sort(cmds)
	return cmds
}

// write is one row's call as the row flow prepared it.
type write struct {
	row       input.Row
	poolID    string
	action    string
	password  string
	generated bool
}
