package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/job"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	stdout, stderr, code := runHelp(t, "completion", shell)
	if code != exitOK || stderr != "" {
		t.Fatalf("completion %s: exit %d, stderr %q", shell, code, stderr)
	}
	return stdout
}

func TestCompletionNamesEveryCommand(t *testing.T) {
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, shell)
			for _, name := range allCommandNames() {
				if !strings.Contains(script, name) {
					t.Errorf("the %s script does not name %s", shell, name)
				}
			}
			// Menus show a flag's usage as its help does, the value name's
			// back quotes taken out (--password-symbols showed `SET`).
			if strings.Contains(script, "`") {
				t.Errorf("the %s script has a back quote", shell)
			}
			// Every flag of every command, as the shell spells it.
			for _, c := range commands {
				c.flags().VisitAll(func(f *flag.Flag) {
					want := "--" + f.Name
					if shell == "fish" {
						want = "-l " + f.Name + " "
					}
					if !strings.Contains(script, want) {
						t.Errorf("the %s script lacks %s of %s", shell, want, c.name)
					}
				})
			}
		})
	}
}

// TestBashCompletion loads the script in bash and asks it to complete, as
// bash does on a tab.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "cogpass.bash")
	if err := os.WriteFile(script, []byte(completionScript(t, "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	// complete WORDS... prints what a tab after the last word offers.
	complete := func(words ...string) []string {
		t.Helper()
		var b strings.Builder
		fmt.Fprintf(&b, "source %q\nCOMP_WORDS=(", script)
		for _, w := range words {
			fmt.Fprintf(&b, "%q ", w)
		}
		fmt.Fprintf(&b, ")\nCOMP_CWORD=%d\n_cogpass\nprintf '%%s\\n' \"${COMPREPLY[@]}\"\n", len(words)-1)
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", b.String())
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", words, err, out)
		}
		return strings.Fields(string(out))
	}
	tests := []struct {
		words    []string
		want     []string
		dontWant []string
		exactly  bool
	}{
		{words: []string{"cogpass", ""}, want: []string{"set", "reset", "change", "export", "policy", "emulator", "completion", "admin-set-user-password", "--version", "--help"}},
		{words: []string{"cogpass", "res"}, want: []string{"reset"}, exactly: true},
		{words: []string{"cogpass", "set", "--man"}, want: []string{"--manifest", "--manifest-format"}, exactly: true},
		{words: []string{"cogpass", "admin-set-user-password", "--perm"}, want: []string{"--permanent"}, exactly: true},
		{words: []string{"cogpass", "reset", "--perm"}, want: nil, exactly: true},
		{words: []string{"cogpass", "reset", "--client-m"}, want: []string{"--client-metadata"}, exactly: true},
		{words: []string{"cogpass", "change", "--no-sign"}, want: []string{"--no-sign-request"}, exactly: true},
		{words: []string{"cogpass", "set", ""}, want: []string{"--user-pool-id", "--dry-run", "--yes", "--secrets-recipient", "--summary-json"}},
		{words: []string{"cogpass", "set", "--log-format", ""}, want: []string{"text", "json"}, exactly: true},
		{words: []string{"cogpass", "set", "--manifest-format", "j"}, want: []string{"jsonl"}, exactly: true},
		{words: []string{"cogpass", "set", "--manifest", "us"}, want: []string{"users.csv"}, exactly: true},
		{words: []string{"cogpass", "set", "--rate", ""}, want: nil, exactly: true},
		{words: []string{"cogpass", "emulator", "--seed-u"}, want: []string{"--seed-users"}, exactly: true},
		{words: []string{"cogpass", "completion", ""}, want: []string{"bash", "zsh", "fish"}, exactly: true},
		{words: []string{"cogpass", "export", "--status", "FORCE"}, want: []string{"FORCE_CHANGE_PASSWORD"}, exactly: true},
		{words: []string{"cogpass", "policy", "--output", ""}, want: []string{"text", "json"}, exactly: true},
		{words: []string{"cogpass", "frobnicate", "--"}, want: nil, exactly: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			got := complete(tt.words...)
			if tt.exactly {
				slices.Sort(got)
				want := slices.Sorted(slices.Values(tt.want))
				if !slices.Equal(got, want) {
					t.Errorf("offered %q, want %q", got, want)
				}
				return
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s not offered; got %q", w, got)
				}
			}
		})
	}

	out, err := exec.Command(bash, "--norc", "--noprofile", "-c", fmt.Sprintf("source %q && complete -p cogpass", script)).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "complete -F _cogpass cogpass" {
		t.Errorf("complete -p cogpass: %v %q", err, out)
	}
}

// TestZshFishSyntax checks the scripts with the shells when they are
// installed; the content checks above run everywhere.
func TestZshFishSyntax(t *testing.T) {
	for _, sh := range []struct{ shell, bin, flag string }{{"zsh", "zsh", "-n"}, {"fish", "fish", "--no-execute"}} {
		t.Run(sh.shell, func(t *testing.T) {
			script := completionScript(t, sh.shell)
			for _, want := range map[string][]string{
				"zsh":  {"#compdef cogpass", "compdef _cogpass cogpass", "'set:set passwords", "'--manifest[", ":file:_files", ":log-format:(text json)"},
				"fish": {"complete -c cogpass -f", "-a 'set' -d", "__fish_seen_subcommand_from set admin-set-user-password", "-l manifest -r -F", "-l log-format -x -a 'text json'"},
			}[sh.shell] {
				if !strings.Contains(script, want) {
					t.Errorf("no %q in the %s script", want, sh.shell)
				}
			}
			bin, err := exec.LookPath(sh.bin)
			if err != nil {
				t.Skipf("no %s to check the syntax with", sh.bin)
			}
			path := filepath.Join(t.TempDir(), "cogpass."+sh.shell)
			if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(bin, sh.flag, path).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", sh.bin, sh.flag, err, out)
			}
		})
	}
}

func TestCompletionUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		_, stderr, code := runHelp(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "bash, zsh, fish") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// TestCompletionFlagsFromFlagSet: completion reads a command's flags from
// its FlagSet (it parsed them out of the --help text before): the value
// name's back quotes taken out, the first sentence of the usage, whether the
// flag takes a value, sorted by name.
func TestCompletionFlagsFromFlagSet(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("listen", "127.0.0.1:9229", "`address` to listen on")
	fs.Bool("v", false, "verbose")
	fs.Int("n", 3, "how `many`")
	fs.Bool("case-sensitive", false, "make usernames case-sensitive (default: no)")
	fs.Duration("latency", 0, "added to every call\nsecond line")
	fs.Func("symbols", "draw symbols from `SET` only, e.g. '!#%'", func(string) error { return nil })
	got := flagInfos("x", fs)
	want := []flagInfo{
		{name: "case-sensitive", usage: "make usernames case-sensitive", bool: true},
		{name: "latency", usage: "added to every call"},
		{name: "listen", usage: "address to listen on"},
		{name: "n", usage: "how many"},
		{name: "symbols", usage: "draw symbols from SET only, e.g"},
		{name: "v", usage: "verbose", bool: true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("flagInfos:\n got %+v\nwant %+v", got, want)
	}
}

// TestJobCommandsAreCommands: every job command (job.Commands, the job's
// table of operations, so that a new operation without its command fails
// here) is in the table by its own name and its AWS CLI alias (its API
// operation in kebab case), and completion offers the flags its job parses.
func TestJobCommandsAreCommands(t *testing.T) {
	cmds := job.Commands()
	if len(cmds) < 3 {
		t.Fatalf("job.Commands() = %q: set, reset and change at least", cmds)
	}
	for _, cmd := range cmds {
		c, ok := lookupCommand(string(cmd))
		if !ok {
			t.Errorf("no command %s", cmd)
			continue
		}
		alias := awsCLIName(cmd.Operation())
		if a, ok := lookupCommand(alias); !ok || a != c || c.alias != alias {
			t.Errorf("%s is not an alias of %s", alias, cmd)
		}
		fs := flag.NewFlagSet(string(cmd), flag.ContinueOnError)
		(&jobFlags{}).register(fs, cmd)
		if got, want := fmt.Sprint(flagInfos(c.name, c.flags())), fmt.Sprint(flagInfos(c.name, fs)); got != want {
			t.Errorf("%s: completion offers\n%s\nthe job parses\n%s", cmd, got, want)
		}
	}
}

// TestCompletionStatuses: --status and --skip-status complete to every
// user status Cognito has (the SDK's UserStatusType values), each one the
// flag accepts; completion.go kept a list of its own.
func TestCompletionStatuses(t *testing.T) {
	var sdk []string
	for _, v := range types.UserStatusType("").Values() {
		sdk = append(sdk, string(v))
	}
	for _, key := range []string{"export status", "skip-status"} {
		if got := flagWords[key]; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(sdk))) {
			t.Errorf("%s completes to %q, want the SDK's %q", key, got, sdk)
		}
	}
	for _, s := range flagWords["export status"] {
		if _, err := buildSelection("", s, false); err != nil {
			t.Errorf("--status %s offered and refused: %v", s, err)
		}
	}
}

// awsCLIName is an API operation's name as the AWS CLI spells it:
// AdminSetUserPassword is admin-set-user-password.
func awsCLIName(operation string) string {
	var b strings.Builder
	for i, r := range operation {
		if 'A' <= r && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestJobFlagsFollowTraits: a job command's flags are chosen by what its
// operation does (job.Command's NamesUserInPool and SendsPassword), not by
// which command it is, so that a new operation gets the flags that fit it.
// A command whose call sends a password has the secrets and password
// flags; one whose call names the user in a pool has the look-up flags
// (--read-rate, --include-federated, --skip-status, --sign-out) and no
// --no-sign-request; one that names the user by token has the reverse
// (--skip-status registered only to say why not).
func TestJobFlagsFollowTraits(t *testing.T) {
	password := []string{"secrets", "secrets-recipient", "secrets-recipients-file", "secrets-identity", "password-length", "password-symbols"}
	pool := []string{"read-rate", "include-federated", "sign-out"}
	for _, cmd := range job.Commands() {
		fs := flag.NewFlagSet(string(cmd), flag.ContinueOnError)
		(&jobFlags{}).register(fs, cmd)
		has := func(name string) bool { return fs.Lookup(name) != nil }
		for _, name := range password {
			if has(name) != cmd.SendsPassword() {
				t.Errorf("%s: --%s registered %v, but its call sends a password: %v", cmd, name, has(name), cmd.SendsPassword())
			}
		}
		for _, name := range pool {
			if has(name) != cmd.NamesUserInPool() {
				t.Errorf("%s: --%s registered %v, but its call names the user in a pool: %v", cmd, name, has(name), cmd.NamesUserInPool())
			}
		}
		if has("no-sign-request") == cmd.NamesUserInPool() {
			t.Errorf("%s: --no-sign-request registered %v; its call names the user in a pool (signed): %v", cmd, has("no-sign-request"), cmd.NamesUserInPool())
		}
		if skip := fs.Lookup("skip-status"); skip == nil || strings.HasPrefix(skip.Usage, "not for") == cmd.NamesUserInPool() {
			t.Errorf("%s: --skip-status is not what a command that names the user in a pool (%v) takes", cmd, cmd.NamesUserInPool())
		}
	}
}
