package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"cogpass/cognito/policy"
	"cogpass/cognito/quota"
	"cogpass/emulator"
	"cogpass/input"
)

// emulatorShutdownTimeout bounds how long a stopping emulator waits for
// calls in flight.
const emulatorShutdownTimeout = 5 * time.Second

// emulatorFlags are the emulator's flags: its pool, its users and the
// faults it injects.
type emulatorFlags struct {
	listen             string
	poolID             string
	clientID           string
	seedUsers          int
	seedManifest       string
	seedPassword       string
	quota              string
	latency            time.Duration
	latencyJitter      time.Duration
	faultRate          float64
	caseSensitive      bool
	passwordHistory    int
	usernameAttributes string
	aliasAttributes    string
	accountRecovery    string
	seed               int64
	emailDailyCap      int
	lambdaFault        string
	faultAfterApply    string
}

const emulatorExample = `cogpass emulator --listen 127.0.0.1:9229 --seed-users 1000 --quota UserAccountRecovery=30 --latency 60ms --latency-jitter 20ms`

// flagSet is the emulator's FlagSet, bound to o. Its help is the others'
// (newFlagSet) with a paragraph on what the emulator is for.
func (o *emulatorFlags) flagSet(stderr io.Writer) *flag.FlagSet {
	fs := newFlagSet("emulator", emulatorExample, stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9229", "`address` to listen on (host:port; port 0 picks a free port)")
	fs.StringVar(&o.poolID, "pool-id", "us-east-1_Demo", "`ID` of the user pool to create")
	fs.StringVar(&o.clientID, "client-id", "democlient", "`ID` of the app client to create (password sign-in flows allowed)")
	fs.IntVar(&o.seedUsers, "seed-users", 0, "create `N` users user000001... (CONFIRMED, verified email <username>@example.com)")
	fs.StringVar(&o.seedManifest, "seed-manifest", "", "create one user per username in this CSV or JSONL `file` instead of --seed-users")
	fs.StringVar(&o.seedPassword, "seed-password", "", "permanent `password` for every seeded user (default: none, users cannot sign in until one is set)")
	fs.StringVar(&o.quota, "quota", "default", "request rates: default, off, or `CATEGORY=RPS[,...]` (categories: "+strings.Join(quota.CategoryNames(), ", ")+")")
	fs.DurationVar(&o.latency, "latency", 0, "`duration` added to every call")
	fs.DurationVar(&o.latencyJitter, "latency-jitter", 0, "spread the latency uniformly by +- this `duration`")
	fs.Float64Var(&o.faultRate, "fault-rate", 0, "`fraction` of calls (0..1) that fail at random with InternalErrorException")
	fs.BoolVar(&o.caseSensitive, "case-sensitive", false, "make usernames case-sensitive (Cognito's console default, and ours, is case-insensitive)")
	fs.IntVar(&o.passwordHistory, "password-history", 0, "password history size of the pool (0..24; 0 = off)")
	fs.StringVar(&o.usernameAttributes, "username-attributes", "", "sign users in by `ATTR[,ATTR]` (email, phone_number): seeded names become e-mail addresses, usernames generated UUIDs")
	fs.StringVar(&o.aliasAttributes, "alias-attributes", "", "`ATTR[,ATTR...]` (email, phone_number, preferred_username) that find a user like its username once verified")
	fs.StringVar(&o.accountRecovery, "account-recovery", "", "the pool's AccountRecoverySetting, `MECHANISM[,MECHANISM]` in priority order: verified_email, verified_phone_number, or admin_only (default verified_email,verified_phone_number)")
	fs.Int64Var(&o.seed, "seed", 0, "random `seed` for jitter, faults and generated IDs (0 = random)")
	fs.IntVar(&o.emailDailyCap, "email-daily-cap", emulator.CognitoDefaultEmailDailyCap, "`N` e-mails (reset codes, invitations) a UTC day from pools with the COGNITO_DEFAULT sender before LimitExceededException (Cognito's default sender: 50; 0 = no cap)")
	fs.StringVar(&o.lambdaFault, "lambda-fault", "", "make the custom message trigger of resets and invitations fail: `CODE[:RATE]`, CODE one of UnexpectedLambdaException, InvalidLambdaResponseException, UserLambdaValidationException, RATE a fraction (default 1)")
	fs.StringVar(&o.faultAfterApply, "fault-after-apply", "", "apply a fraction of successful writes, then lose the answer: `RATE[:KIND,...]`, KIND 500 (HTTP 500), drop (connection closed) or truncated (HTTP 200, body cut short); default: a seeded choice among all three")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: cogpass emulator [flags]

Runs a local, in-memory Amazon Cognito user pools endpoint (AWS JSON 1.1) for
demos, tests and rehearsals. Point cogpass or the AWS CLI at it with
--endpoint-url. Example:

%s
Flags:
`, indent(emulatorExample))
		fs.PrintDefaults()
	}
	return fs
}

// runEmulator runs `cogpass emulator`: a local Cognito user pools endpoint
// with one pool, one app client and seeded users, until ctx is cancelled
// (SIGINT/SIGTERM). It prints exactly one line to stdout, "listening on
// http://ADDR", once it accepts connections; everything else but its help
// (on stdout, as every command's) goes to stderr.
func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o emulatorFlags
	fs := o.flagSet(stderr)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case o.seedUsers < 0:
		return fmt.Errorf("emulator: --seed-users %d: want 0 or more", o.seedUsers)
	case o.seedUsers > 0 && o.seedManifest != "":
		return errors.New("emulator: give --seed-users or --seed-manifest, not both")
	case !(o.faultRate >= 0 && o.faultRate <= 1):
		return fmt.Errorf("emulator: --fault-rate %v: want a fraction between 0 and 1", o.faultRate)
	case o.latency < 0 || o.latencyJitter < 0:
		return errors.New("emulator: --latency and --latency-jitter must not be negative")
	case o.emailDailyCap < 0:
		return fmt.Errorf("emulator: --email-daily-cap %d: want 0 (no cap) or more", o.emailDailyCap)
	}
	var lf emulator.LambdaFault
	if o.lambdaFault != "" {
		f, err := emulator.ParseLambdaFault(o.lambdaFault)
		if err != nil {
			return fmt.Errorf("emulator: --lambda-fault: %w", err)
		}
		lf = f
	}
	var af emulator.AfterApplyFault
	if o.faultAfterApply != "" {
		f, err := emulator.ParseAfterApplyFault(o.faultAfterApply)
		if err != nil {
			return fmt.Errorf("emulator: --fault-after-apply: %w", err)
		}
		af = f
	}
	rates, err := quota.ParseSpec(o.quota)
	if err != nil {
		return fmt.Errorf("emulator: --quota: %w", err)
	}
	pol := policy.Default()
	pol.PasswordHistorySize = o.passwordHistory
	if o.seedPassword != "" {
		if err := policy.CheckField(o.seedPassword); err != nil {
			return fmt.Errorf("emulator: --seed-password: %w", err)
		}
		if err := pol.Check(o.seedPassword); err != nil {
			return fmt.Errorf("emulator: --seed-password: %w", err)
		}
	}

	srv := emulator.New(emulator.Options{Quota: rates, Latency: o.latency, LatencyJitter: o.latencyJitter, FaultRate: o.faultRate, Seed: o.seed,
		EmailDailyCap: o.emailDailyCap, LambdaFault: lf, FaultAfterApply: af})
	if err := srv.CreatePool(emulator.PoolConfig{ID: o.poolID, Name: "cogpass-demo", Policy: pol, CaseSensitive: o.caseSensitive,
		UsernameAttributes: splitList(o.usernameAttributes), AliasAttributes: splitList(o.aliasAttributes), AccountRecovery: splitList(o.accountRecovery)}); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	if _, err := srv.CreateClient(emulator.ClientConfig{PoolID: o.poolID, ID: o.clientID, Name: "cogpass-demo"}); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	seeded := o.seedUsers
	switch {
	case o.seedManifest != "":
		if seeded, err = seedFromManifest(srv, o.poolID, o.seedManifest, o.seedPassword, stderr); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	case seeded > 0:
		if err := srv.SeedUsersWithPassword(o.poolID, seeded, o.seedPassword); err != nil {
			return fmt.Errorf("emulator: %w", err)
		}
	}

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	fmt.Fprintf(stderr, "emulator: pool %s, client %s, %d users, quota %s\n", o.poolID, o.clientID, seeded, describeRates(rates))
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr()); err != nil {
		_ = hs.Close()
		return fmt.Errorf("emulator: %w", err)
	}

	select {
	case err := <-served:
		return fmt.Errorf("emulator: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), emulatorShutdownTimeout)
	defer cancel()
	err = hs.Shutdown(shutdownCtx)
	fmt.Fprintln(stderr, "emulator: stopped")
	if ferr := emulator.FormatStats(stderr, srv.Stats()); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("emulator: shutdown: %w", err)
	}
	return nil
}

// splitList splits a comma-separated flag value; "" is nil.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func describeRates(r quota.Rates) string {
	if len(r) == 0 {
		return "off"
	}
	var parts []string
	for _, name := range quota.CategoryNames() {
		if rps, ok := r[quota.Category(name)]; ok {
			parts = append(parts, name+"="+strconv.FormatFloat(rps, 'f', -1, 64))
		}
	}
	return strings.Join(parts, ",")
}

// seedFromManifest seeds the pool from the CSV or JSONL manifest at path
// (see emulator.Server.SeedFromManifest), its format by extension as for a
// job's manifest, told from its first bytes for any other name.
func seedFromManifest(srv *emulator.Server, poolID, path, password string, stderr io.Writer) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("seed manifest: %w", err)
	}
	defer f.Close()
	format, err := input.FormatFor(path, "")
	if err != nil {
		format = input.FormatDetect
	}
	res, err := srv.SeedFromManifest(poolID, path, f, format, password)
	if err != nil {
		return res.Added, fmt.Errorf("seed manifest: %w", err)
	}
	if res.Repeated > 0 {
		fmt.Fprintf(stderr, "emulator: %s: skipped %d repeated usernames\n", path, res.Repeated)
	}
	return res.Added, nil
}
