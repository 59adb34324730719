package job

import (
	"slices"
	"strings"
	"testing"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/input"
)

// TestOperationsTable: each command's operation names the Cognito API
// operation it writes with (which picks its quota category and pacer),
// every action it reports leaves the status Cognito documents
// (TargetStatus, which verify checks against), and the confirmation prompt
// says what it does in the words it always did.
func TestOperationsTable(t *testing.T) {
	yes := true
	cases := []struct {
		cmd       Command
		operation string
		cfg       Config
		row       input.Row
		action    string
		status    string
	}{
		{Set, "AdminSetUserPassword", Config{}, input.Row{}, ActionSetTemporary, cognito.StatusForceChangePassword},
		{Set, "AdminSetUserPassword", Config{Permanent: true}, input.Row{}, ActionSetPermanent, cognito.StatusConfirmed},
		{Set, "AdminSetUserPassword", Config{}, input.Row{Permanent: &yes}, ActionSetPermanent, cognito.StatusConfirmed},
		{Reset, "AdminResetUserPassword", Config{}, input.Row{}, ActionReset, cognito.StatusResetRequired},
		{Change, "ChangePassword", Config{}, input.Row{}, ActionChange, cognito.StatusConfirmed},
	}
	// Every operation of the table has its cases here: a new one without
	// them fails.
	covered := map[Command]map[string]bool{}
	mark := func(cmd Command, what string) {
		if covered[cmd] == nil {
			covered[cmd] = map[string]bool{}
		}
		covered[cmd][what] = true
	}
	defer func() {
		for cmd, op := range operations {
			for _, what := range []string{"action", "describe", "traits"} {
				if !covered[cmd][what] {
					t.Errorf("%s: no %s case in TestOperationsTable", cmd, what)
				}
			}
			if _, ok := quota.Lookup(op.Operation()); !ok {
				t.Errorf("%s: %s has no quota category", cmd, op.Operation())
			}
			if cmd.Operation() != op.Operation() {
				t.Errorf("%s: Operation() = %q, its operation's is %q", cmd, cmd.Operation(), op.Operation())
			}
			if !slices.Contains(Commands(), cmd) {
				t.Errorf("%s: not in Commands()", cmd)
			}
		}
		if len(Commands()) != len(operations) {
			t.Errorf("Commands() = %q: want the %d commands of operations", Commands(), len(operations))
		}
	}()
	for _, c := range cases {
		mark(c.cmd, "action")
		if got := c.cmd.Operation(); got != c.operation {
			t.Errorf("%s: Operation() = %q, want %q", c.cmd, got, c.operation)
		}
		if _, ok := quota.Lookup(c.operation); !ok {
			t.Errorf("%s: %s has no quota category", c.cmd, c.operation)
		}
		c.cfg.Command = c.cmd
		if got := operations[c.cmd].action(&c.cfg, c.row); got != c.action {
			t.Errorf("%s: action = %q, want %q", c.cmd, got, c.action)
		}
		if got := TargetStatus(c.action); got != c.status {
			t.Errorf("TargetStatus(%q) = %q, want %q", c.action, got, c.status)
		}
	}
	for _, c := range []struct {
		cmd       Command
		permanent bool
		want      string
	}{
		{Set, false, "set temporary passwords"},
		{Set, true, "set permanent passwords"},
		{Reset, false, "reset the passwords"},
		{Change, false, "change the passwords"},
	} {
		mark(c.cmd, "describe")
		if got := describe(c.cmd, c.permanent); got != c.want {
			t.Errorf("describe(%s, %v) = %q, want %q (the confirmation prompt's words)", c.cmd, c.permanent, got, c.want)
		}
	}
	// What cmd/cogpass chooses a job command's flags by: the Admin*
	// operations name the user by pool and username (and are signed);
	// ChangePassword names it by access token, unsigned. Set and change
	// send a password (Password, ProposedPassword); AdminResetUserPassword
	// sends none.
	for _, c := range []struct {
		cmd                    Command
		namesUserInPool, sends bool
	}{
		{Set, true, true},
		{Reset, true, false},
		{Change, false, true},
		{"delete", false, false},
	} {
		mark(c.cmd, "traits")
		if got := c.cmd.NamesUserInPool(); got != c.namesUserInPool {
			t.Errorf("%s: NamesUserInPool() = %v, want %v", c.cmd, got, c.namesUserInPool)
		}
		if got := c.cmd.SendsPassword(); got != c.sends {
			t.Errorf("%s: SendsPassword() = %v, want %v", c.cmd, got, c.sends)
		}
	}
	if _, ok := quota.Lookup(signOut{}.Operation()); !ok {
		t.Errorf("the sign-out's %s has no quota category", signOut{}.Operation())
	}
	if got := Command("delete").Operation(); got != "" {
		t.Errorf("an unknown command's operation = %q, want none", got)
	}
}

// TestValidateRefusesWhatAnOperationCannotDo: an operation that names its
// user by access token (change) takes neither a status to skip nor a
// sign-out, and an unknown command is refused.
func TestValidateRefusesWhatAnOperationCannotDo(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Command: Change, Rate: 1, SignOut: true}, "change takes neither a status to skip nor a sign-out"},
		{Config{Command: Change, Rate: 1, SkipStatus: []string{cognito.StatusConfirmed}}, "change takes neither a status to skip nor a sign-out"},
		{Config{Command: "delete", Rate: 1}, `unknown command "delete"`},
	} {
		err := c.cfg.validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: validate() = %v, want %q", c.cfg, err, c.want)
		}
	}
	for _, cmd := range []Command{Set, Reset} {
		cfg := Config{Command: cmd, Rate: 1, SignOut: true, SkipStatus: []string{cognito.StatusResetRequired}}
		if err := cfg.validate(); err != nil {
			t.Errorf("%s with a sign-out and a status to skip: %v", cmd, err)
		}
	}
}
