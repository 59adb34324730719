package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cogpass/cognito/policy"
	"cogpass/cognito/quota"
	"cogpass/emulator"
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

// seedFromManifest creates one user per row of a CSV (with a header) or
// JSONL manifest, by extension (.jsonl, .ndjson and .json are JSON Lines).
// Only username is required; the columns of `cogpass export` (status,
// enabled, email, email_verified, phone_number, phone_number_verified,
// created, last_modified, and sub) are honoured when present, so that an exported
// pool can be replayed. A row with only a username gets the seeded
// defaults: CONFIRMED, verified email <username>@example.com. Repeated
// usernames are skipped with one warning.
func seedFromManifest(srv *emulator.Server, poolID, path, password string, stderr io.Writer) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("seed manifest: %w", err)
	}
	defer f.Close()
	var rows func(yield func(line int, rec map[string]string) error) error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		rows = func(yield func(int, map[string]string) error) error { return jsonlRows(f, yield) }
	default:
		rows = func(yield func(int, map[string]string) error) error { return csvRows(f, yield) }
	}
	n, dups := 0, 0
	err = rows(func(line int, rec map[string]string) error {
		u, err := seedUserFromRecord(rec, password)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if err := srv.AddUser(poolID, u); err != nil {
			if errors.Is(err, emulator.ErrUserExists) {
				dups++
				return nil
			}
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("seed manifest: %w", err)
	}
	if dups > 0 {
		fmt.Fprintf(stderr, "emulator: %s: skipped %d repeated usernames\n", path, dups)
	}
	return n, nil
}

func seedUserFromRecord(rec map[string]string, password string) (emulator.SeedUser, error) {
	u := emulator.SeedUser{Username: rec["username"], Status: rec["status"], Email: rec["email"], Phone: rec["phone_number"], Password: password, Sub: rec["sub"]}
	if u.Username == "" {
		return u, errors.New("username is empty")
	}
	if _, has := rec["email"]; !has {
		u.Email, u.EmailVerified = u.Username+"@example.com", true
	}
	for key, dst := range map[string]*bool{"email_verified": &u.EmailVerified, "phone_number_verified": &u.PhoneVerified} {
		if v := rec[key]; v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return u, fmt.Errorf("%s %q: want true or false", key, v)
			}
			*dst = b
		}
	}
	if v := rec["enabled"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return u, fmt.Errorf("enabled %q: want true or false", v)
		}
		u.Disabled = !b
	}
	for key, dst := range map[string]*time.Time{"created": &u.Created, "last_modified": &u.LastModified} {
		if v := rec[key]; v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return u, fmt.Errorf("%s %q: want an RFC 3339 time", key, v)
			}
			*dst = t
		}
	}
	if u.Status != "" && u.Status != emulator.StatusConfirmed {
		u.Password = "" // a seed password is a permanent one
	}
	return u, nil
}

func csvRows(r io.Reader, yield func(int, map[string]string) error) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("read CSV header: %w", err)
	}
	col := -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		header[i] = h
		if h == "username" {
			col = i
		}
	}
	if col < 0 {
		return errors.New("the CSV header has no username column")
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		m := make(map[string]string, len(rec))
		for i, v := range rec {
			if i < len(header) {
				m[header[i]] = strings.TrimSpace(v)
			}
		}
		if err := yield(line, m); err != nil {
			return err
		}
	}
}

func jsonlRows(r io.Reader, yield func(int, map[string]string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if text == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(text), &obj); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		m := make(map[string]string, len(obj))
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				m[k] = v
			case bool:
				m[k] = strconv.FormatBool(v)
			case nil:
			default:
				m[k] = fmt.Sprint(v)
			}
		}
		if err := yield(line, m); err != nil {
			return err
		}
	}
	return sc.Err()
}
