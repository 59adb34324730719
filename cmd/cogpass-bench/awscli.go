package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"cogpass/cognito/quota"
	"cogpass/emulator"
)

// Figure 5: the way people do it today — the AWS CLI in a shell loop, one
// process per user — against cogpass over the same users on the same
// emulator (Cognito's default quotas, 60 ms ± 20 ms latency). Both are
// timed from the start of the first process to the end of the last.
const (
	cliUsers      = 20
	cliUsersQuick = 5
	// cliPassword meets the emulator pool's default policy.
	cliPassword = "Bench-Passw0rd!x"
)

// cliLoop is the shell loop, as an operator writes it.
const cliLoop = `set -e
for u in $USERS; do
  aws cognito-idp admin-set-user-password --endpoint-url "$URL" --user-pool-id "$POOL" \
    --username "$u" --password "$PW" >/dev/null
done
`

func runAWSCLI(ctx context.Context, c *options) (string, error) {
	awsPath, err := exec.LookPath("aws")
	if err != nil {
		return "aws cli: skipped: the AWS CLI (aws) is not on PATH (Debian: apt-get install awscli)", nil
	}
	n := cliUsers
	if c.quick {
		n = cliUsersQuick
	}
	version, _ := exec.CommandContext(ctx, awsPath, "--version").CombinedOutput()
	e, err := startEmu(emulator.Options{Quota: quota.Defaults(), Latency: quotaLatency, LatencyJitter: quotaJitter, Seed: 6}, n, "AdminSetUserPassword")
	if err != nil {
		return "", err
	}
	defer e.close()

	users := make([]string, n)
	for i := range users {
		users[i] = userName(i+1, n)
	}
	logf(c, "%s: a shell loop of `aws cognito-idp admin-set-user-password` over %d users", strings.TrimSpace(string(version)), n)
	cli, err := runProc(ctx, "/bin/sh", "-c",
		"export USERS='"+strings.Join(users, " ")+"' URL='"+e.url+"' POOL='"+poolID+"' PW='"+cliPassword+"'\n"+cliLoop)
	if err != nil {
		return "", err
	}
	if cli.exit != 0 {
		return "", fmt.Errorf("aws cli loop: exit %d%s", cli.exit, lastLines(cli.stderr, 10))
	}
	cliSt := e.srv.Stats()["AdminSetUserPassword"]
	logf(c, "aws cli: %d users in %s (%.2f s per user), %d AdminSetUserPassword calls at the emulator",
		n, cli.wall.Round(time.Millisecond), cli.wall.Seconds()/float64(n), cliSt.Calls)

	manifest := filepath.Join(c.dir, "cli.csv")
	if err := os.WriteFile(manifest, []byte(manifestWithPassword(users)), 0o644); err != nil {
		return "", err
	}
	reportPath := manifest + ".report.csv"
	logf(c, "cogpass set --manifest %s (the same %d users, the same password) with its default --rate", filepath.Base(manifest), n)
	cp, err := runProc(ctx, c.bin, "set", "--user-pool-id", poolID, "--manifest", manifest,
		"--endpoint-url", e.url, "--region", "us-east-1", "--report", reportPath, "--yes", "--quiet")
	if err != nil {
		return "", err
	}
	counts, err := outcomes(reportPath)
	if err != nil {
		return "", fmt.Errorf("%w (exit %d)%s", err, cp.exit, lastLines(cp.stderr, 10))
	}
	if cp.exit != 0 || counts["succeeded"] != n {
		return "", fmt.Errorf("cogpass: exit %d, %s%s", cp.exit, fmtCounts(counts), lastLines(cp.stderr, 10))
	}
	all := e.srv.Stats()["AdminSetUserPassword"]
	logf(c, "cogpass: %d users in %s, %d AdminSetUserPassword calls at the emulator, %s",
		n, cp.wall.Round(time.Millisecond), all.Calls-cliSt.Calls, fmtCounts(counts))

	cliRate := float64(n) / cli.wall.Seconds()
	cpRate := float64(n) / cp.wall.Seconds()
	return fmt.Sprintf("aws cli: %.2f users/s for a shell loop of the AWS CLI, %.1f users/s for cogpass (%d users, same emulator, default quotas, 60ms ± 20ms) — cogpass %.1fx faster",
		cliRate, cpRate, n, cpRate/cliRate), nil
}

// manifestWithPassword is a manifest giving every user the password the
// CLI loop sets, so both do the same thing (no generated passwords).
func manifestWithPassword(users []string) string {
	var b strings.Builder
	b.WriteString("username,password\n")
	for _, u := range users {
		b.WriteString(u + "," + cliPassword + "\n")
	}
	return b.String()
}
