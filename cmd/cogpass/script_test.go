package main

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/rogpeppe/go-internal/testscript"

	"cogpass/emulator"
)

// The CLI scenarios in testdata/script/*.txtar run the cogpass command as a
// process of its own, as an operator or a scheduler runs it, and check what
// the README promises of it: exit codes, the files a job leaves and their
// names, resume refusals. The shape is age's cmd/age tests: TestMain makes
// this test binary the `cogpass` command of the scripts (testscript copies
// it onto the scripts' PATH under that name), and TestScript runs them.
//
// Run them with `go test ./cmd/cogpass -run TestScript` (one with
// `-run TestScript/exit0`; `-testwork` keeps each script's $WORK to look
// at). A script's commands, beyond testscript's own (exec, stdout, stderr,
// exists, grep, cmp, chmod...):
//
//	cogpass ARGS...   the command; `! cogpass ...` when it must fail
//	status N          the exit status of the last cogpass was N
//	mode PERM FILE    FILE's permission bits are PERM (octal, e.g. 0600)
//	emu [flags]       start an in-process emulator (see cmdEmu)
//	emu calls OP...   print "OP N" for each operation: the calls it got
//	emu status USER [POOL]  print the user's status (POOL default $POOL)

// scriptStatusEnv names the file the cogpass command of a script writes its
// exit status to, for the status command: testscript only tells failure
// from success.
const scriptStatusEnv = "COGPASS_SCRIPT_STATUS"

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cogpass": scriptCogpass,
	})
}

// scriptCogpass is main as a script runs it, with the exit status also
// written where status reads it.
func scriptCogpass() {
	code := runMain()
	if p := os.Getenv(scriptStatusEnv); p != "" {
		if err := os.WriteFile(p, []byte(strconv.Itoa(code)), 0o600); err != nil {
			fmt.Fprintf(os.Stderr, "script: record exit status: %v\n", err)
			os.Exit(125)
		}
	}
	os.Exit(code)
}

type scriptStateKey struct{}

// scriptState is one script's: its emulator, if it started one.
type scriptState struct {
	srv    *emulator.Server
	url    string
	pools  []string
	client *cip.Client
}

func TestScript(t *testing.T) {
	// testscript removes its directory of work directories when the last
	// script ends, which under -run TestScript/NAME never comes: the
	// scripts work in the test's own temporary directory instead, unless
	// -testwork (testscript's flag) asks to keep them.
	var root string
	if f := flag.Lookup("testwork"); f == nil || f.Value.String() != "true" {
		root = t.TempDir()
	}
	testscript.Run(t, testscript.Params{
		Dir:                filepath.Join("testdata", "script"),
		WorkdirRoot:        root,
		RequireUniqueNames: true,
		Setup: func(env *testscript.Env) error {
			env.Values[scriptStateKey{}] = &scriptState{}
			env.Setenv(scriptStatusEnv, filepath.Join(env.WorkDir, ".tmp", "cogpass.status"))
			// Until emu points them at an emulator, the scripts' calls go
			// to a closed loopback port, never to AWS; and never to an
			// instance metadata service.
			env.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			env.Setenv("AWS_REGION", "us-east-1")
			// A race-enabled cogpass sleeps a second at exit by default
			// to collect reports; every script runs it many times.
			if env.Getenv("GORACE") == "" {
				env.Setenv("GORACE", "atexit_sleep_ms=10")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": cmdStatus,
			"mode":   cmdMode,
			"emu":    cmdEmu,
		},
	})
}

// cmdStatus checks the exit status of the last cogpass command, and
// forgets it, so that a second status without a cogpass between them
// fails instead of reading a stale one.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status N")
	}
	p := ts.Getenv(scriptStatusEnv)
	b, err := os.ReadFile(p)
	if err != nil {
		ts.Fatalf("no exit status recorded since the last status (did cogpass run, and end by itself?): %v", err)
	}
	ts.Check(os.Remove(p))
	if got := strings.TrimSpace(string(b)); got != args[0] {
		ts.Fatalf("cogpass exited %s, want %s", got, args[0])
	}
}

// cmdMode checks a file's permission bits.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mode PERM FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("mode %q: want octal permission bits", args[0])
	}
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	if got := fi.Mode().Perm(); got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

// cmdEmu starts an in-process emulator on 127.0.0.1 for the script, or
// asks the running one something.
//
//	emu [-users N] [-pool ID]... [-lambda-fault CODE[:RATE]]
//	    [-fault-after-apply RATE[:KIND,...]] [-fault-rate F] [-email-daily-cap N]
//
// starts one with each pool (default us-east-1_Script) holding N users
// (default 5) named user000001..., CONFIRMED with a verified e-mail
// address, no throttling and no latency, and sets $ENDPOINT (its URL),
// $POOL (the first pool), $POOL2... (the others), the credentials the SDK
// needs to sign, and AWS_ENDPOINT_URL. The fault flags are the emulator's
// (see docs/emulator.md). It is stopped when the script ends.
func cmdEmu(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("emu does not go with !")
	}
	st := ts.Value(scriptStateKey{}).(*scriptState)
	if len(args) > 0 && (args[0] == "calls" || args[0] == "status") {
		if st.srv == nil {
			ts.Fatalf("emu %s: no emulator: start one with emu", args[0])
		}
		if args[0] == "calls" {
			emuCalls(ts, st, args[1:])
		} else {
			emuStatus(ts, st, args[1:])
		}
		return
	}
	if st.srv != nil {
		ts.Fatalf("emu: an emulator is running already")
	}

	fs := flag.NewFlagSet("emu", flag.ContinueOnError)
	fs.SetOutput(ts.Stderr())
	users := fs.Int("users", 5, "users per pool")
	var pools []string
	fs.Func("pool", "a pool to create (repeatable)", func(s string) error { pools = append(pools, s); return nil })
	var opts emulator.Options
	fs.Func("lambda-fault", "CODE[:RATE]", func(s string) (err error) {
		opts.LambdaFault, err = emulator.ParseLambdaFault(s)
		return err
	})
	fs.Func("fault-after-apply", "RATE[:KIND,...]", func(s string) (err error) {
		opts.FaultAfterApply, err = emulator.ParseAfterApplyFault(s)
		return err
	})
	fs.Float64Var(&opts.FaultRate, "fault-rate", 0, "fraction of calls that fail with InternalErrorException")
	fs.IntVar(&opts.EmailDailyCap, "email-daily-cap", 0, "e-mails a day (0: no cap)")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("emu: %v", err)
	}
	if fs.NArg() > 0 {
		ts.Fatalf("emu: unexpected arguments %q", fs.Args())
	}
	if len(pools) == 0 {
		pools = []string{"us-east-1_Script"}
	}
	opts.Seed = 1
	if err := opts.Validate(); err != nil {
		ts.Fatalf("emu: %v", err)
	}
	srv := emulator.New(opts)
	for i, id := range pools {
		ts.Check(srv.CreatePool(emulator.PoolConfig{ID: id}))
		ts.Check(srv.SeedUsers(id, *users))
		name := "POOL"
		if i > 0 {
			name += strconv.Itoa(i + 1)
		}
		ts.Setenv(name, id)
	}
	hs := httptest.NewServer(srv) // on 127.0.0.1
	ts.Defer(hs.Close)
	st.srv, st.url, st.pools = srv, hs.URL, pools
	st.client = cip.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("script", "script", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *cip.Options) { o.BaseEndpoint = aws.String(hs.URL) })

	ts.Setenv("ENDPOINT", hs.URL)
	ts.Setenv("AWS_ENDPOINT_URL", hs.URL)
	// The emulator takes any key, but the SDK signs every request.
	ts.Setenv("AWS_ACCESS_KEY_ID", "script")
	ts.Setenv("AWS_SECRET_ACCESS_KEY", "script")
}

// emuCalls prints, for each operation named, how many calls the emulator
// got: "AdminSetUserPassword 0".
func emuCalls(ts *testscript.TestScript, st *scriptState, ops []string) {
	if len(ops) == 0 {
		ts.Fatalf("usage: emu calls OP...")
	}
	stats := st.srv.Stats()
	for _, op := range ops {
		fmt.Fprintf(ts.Stdout(), "%s %d\n", op, stats[op].Calls)
	}
}

// emuStatus prints a user's status as AdminGetUser answers it, or the
// error code: "user000001 FORCE_CHANGE_PASSWORD". It goes through the
// emulator's API like any client, so it counts as an AdminGetUser call.
func emuStatus(ts *testscript.TestScript, st *scriptState, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: emu status USER [POOL]")
	}
	pool := st.pools[0]
	if len(args) == 2 {
		pool = args[1]
	}
	out, err := st.client.AdminGetUser(context.Background(), &cip.AdminGetUserInput{
		UserPoolId: aws.String(pool), Username: aws.String(args[0]),
	})
	if err != nil {
		ts.Fatalf("emu status %s: %v", args[0], err)
	}
	fmt.Fprintf(ts.Stdout(), "%s %s\n", args[0], out.UserStatus)
}
