package main

import (
	"context"
	"encoding/csv"
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/emulator"
	"cogpass/report"
)

// readVerify reads a verification report into one map per row.
func readVerify(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "line,username,action,expected_status,user_status,verdict,signed_out,error_code,message" {
		t.Fatalf("header %v", recs[0])
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func TestVerifyChecksTheStatusTheActionLeaves(t *testing.T) {
	e := newJobEmulator(t, 5, emulator.Options{})
	manifest := writeManifest(t, 4, "ghost01,,")
	code, stderr := runCLI(t, "reset", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes", "--sign-out")
	if code != exitRowsFailed {
		t.Fatalf("reset: exit %d, want 1 (ghost01); stderr:\n%s", code, stderr)
	}
	rep := manifest + ".report.csv"
	side, err := report.ReadSidecar(rep)
	if err != nil || side.EndpointURL != e.url || side.Region != "us-east-1" {
		t.Fatalf("job record %+v, %v: want the endpoint and region", side, err)
	}

	// The pool, region and endpoint come from the job's record.
	lookups := e.writes("AdminGetUser")
	code, stderr = runCLI(t, "verify", "--report", rep)
	if code != exitOK {
		t.Fatalf("verify: exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "4 match, 0 mismatch") {
		t.Errorf("verify summary:\n%s", stderr)
	}
	if n := e.writes("AdminGetUser") - lookups; n != 4 {
		t.Errorf("%d look-ups, want 4 (the succeeded rows only)", n)
	}
	out := rep + ".verify.csv"
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("verification report mode %v, %v; want 0600", fi, err)
	}
	rows := readVerify(t, out)
	if len(rows) != 4 {
		t.Fatalf("%d verification rows, want 4", len(rows))
	}
	for _, r := range rows {
		if r["verdict"] != "match" || r["expected_status"] != "RESET_REQUIRED" || r["user_status"] != "RESET_REQUIRED" || r["signed_out"] != "true" || r["action"] != "reset" {
			t.Errorf("verification row %v", r)
		}
	}

	// A user whose status is not what the report promises is a mismatch:
	// exit 1, and the row says what Cognito shows.
	if _, err := e.client.AdminSetUserPassword(context.Background(), &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(testPool),
		Username: aws.String("user000003"), Password: aws.String("Another-Passw0rd!"), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	code, stderr = runCLI(t, "verify", "--report", rep)
	if code != exitUsage || !strings.Contains(stderr, "exists") {
		t.Errorf("verify over an existing verification report: exit %d, stderr %q; want 2", code, stderr)
	}
	out2 := out + ".2.csv"
	code, stderr = runCLI(t, "verify", "--report", rep, "--output", out2)
	if code != exitRowsFailed || !strings.Contains(stderr, "1 of 4 users do not show the status") {
		t.Fatalf("verify after a change: exit %d; stderr:\n%s", code, stderr)
	}
	for _, r := range readVerify(t, out2) {
		want := "match"
		if r["username"] == "user000003" {
			want = "mismatch"
			if r["user_status"] != "CONFIRMED" || !strings.Contains(r["message"], "Cognito shows CONFIRMED, the reset leaves RESET_REQUIRED") {
				t.Errorf("mismatch row %v", r)
			}
		}
		if r["verdict"] != want {
			t.Errorf("%s: verdict %s, want %s", r["username"], r["verdict"], want)
		}
	}

	// A user Cognito does not know (deleted since) is an error, not a match.
	w, err := report.Append(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(report.Row{Line: 99, Username: "gone01", Action: "reset", Outcome: report.Succeeded}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	code, _ = runCLI(t, "verify", "--report", rep, "--output", out+".3.csv")
	rows = readVerify(t, out+".3.csv")
	var gone map[string]string
	for _, r := range rows {
		if r["username"] == "gone01" {
			gone = r
		}
	}
	if code != exitRowsFailed || len(rows) != 5 || gone["verdict"] != "error" || gone["error_code"] != "UserNotFoundException" {
		t.Errorf("unknown user: exit %d, rows %v; want exit 1 and an error row for gone01", code, rows)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	e := newJobEmulator(t, 2, emulator.Options{})
	manifest := writeManifest(t, 2)
	code, stderr := runCLI(t, "set", "--permanent", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes")
	if code != exitOK {
		t.Fatalf("set: exit %d; stderr:\n%s", code, stderr)
	}
	rep := manifest + ".report.csv"
	if err := os.Remove(report.SidecarPath(rep)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"verify"}, "--report is required"},
		{[]string{"verify", "--report", rep}, "give --user-pool-id"},
		{[]string{"verify", "--report", rep, "--output", rep, "--user-pool-id", testPool}, "--output"},
	} {
		code, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 with %q", tt.args, code, stderr, tt.want)
		}
	}
	// With the pool and the endpoint given, a report without its record is
	// verified: set --permanent leaves CONFIRMED.
	code, stderr = runCLI(t, "verify", "--report", rep, "--user-pool-id", testPool, "--endpoint-url", e.url)
	if code != exitOK || !strings.Contains(stderr, "2 match") {
		t.Errorf("verify with flags: exit %d; stderr:\n%s", code, stderr)
	}
}

// A verify stopped before its first user (a pool that does not exist)
// leaves no header-only --output behind, so the corrected rerun with the
// same --output works.
func TestVerifyStoppedAtTheStartLeavesNoOutput(t *testing.T) {
	e := newJobEmulator(t, 2, emulator.Options{})
	manifest := writeManifest(t, 2)
	if code, stderr := runCLI(t, "set", "--permanent", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes"); code != exitOK {
		t.Fatalf("set: exit %d; stderr:\n%s", code, stderr)
	}
	rep := manifest + ".report.csv"
	out := filepath.Join(t.TempDir(), "v.csv")
	code, stderr := runCLI(t, "verify", "--report", rep, "--output", out, "--user-pool-id", "us-east-1_Nope", "--endpoint-url", e.url)
	if code != exitStoppedEarly {
		t.Fatalf("verify of a pool that does not exist: exit %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(out); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("a stopped verify left %s behind (%v)", out, err)
	}
	code, stderr = runCLI(t, "verify", "--report", rep, "--output", out, "--user-pool-id", testPool, "--endpoint-url", e.url)
	if code != exitOK || !strings.Contains(stderr, "2 match") {
		t.Errorf("the corrected rerun: exit %d; stderr:\n%s", code, stderr)
	}
}
