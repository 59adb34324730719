package job

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/report"
)

// describeWithCase is a DescribeUserPool answer with the given case rule
// (nil: no UsernameConfiguration, as for a pool made before 2020).
func describeWithCase(caseSensitive *bool) func(*cip.DescribeUserPoolInput) (*cip.DescribeUserPoolOutput, error) {
	return func(in *cip.DescribeUserPoolInput) (*cip.DescribeUserPoolOutput, error) {
		up := &types.UserPoolType{Id: in.UserPoolId}
		if caseSensitive != nil {
			up.UsernameConfiguration = &types.UsernameConfigurationType{CaseSensitive: caseSensitive}
		}
		return &cip.DescribeUserPoolOutput{UserPool: up}, nil
	}
}

// The preflight keys duplicates by the pool's own case rule.
func TestPreflightKeysDuplicatesByThePoolsCaseRule(t *testing.T) {
	tests := []struct {
		name   string
		rule   *bool
		policy *bool // Config.CaseSensitive, as from a policy file
		dups   int
	}{
		{"no UsernameConfiguration: case-sensitive", nil, nil, 0},
		{"case-sensitive", aws.Bool(true), nil, 0},
		{"case-insensitive", aws.Bool(false), nil, 1},
		{"policy file says case-insensitive", aws.Bool(true), aws.Bool(false), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{t: t, describe: describeWithCase(tt.rule)}
			cfg := baseConfig(Set)
			cfg.CaseSensitive = tt.policy
			plan, err := Preflight(t.Context(), cfg, api, rowsOf(t, "username\njohn.doe\nJohn.Doe\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.duplicates) != tt.dups || plan.Invalid != int64(tt.dups) {
				t.Errorf("%d duplicates, %d invalid; want %d", len(plan.duplicates), plan.Invalid, tt.dups)
			}
		})
	}
}

// A dry run, and any run without a preflight (a manifest on stdin), finds
// the rows that name a user twice, as the preflight of a real run does.
func TestRunWithoutPreflightFindsDuplicates(t *testing.T) {
	for _, dry := range []bool{true, false} {
		t.Run(map[bool]string{true: "dry run", false: "stdin"}[dry], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				api := &fakeAPI{t: t, describe: describeWithCase(aws.Bool(false)),
					get: func(in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
						return &cip.AdminGetUserOutput{Username: aws.String(strings.ToLower(*in.Username)), UserStatus: types.UserStatusTypeConfirmed, Enabled: true}, nil
					},
					set: func(*cip.AdminSetUserPasswordInput) error { return nil },
				}
				cfg := baseConfig(Set)
				cfg.DryRun, cfg.CheckFederated = dry, true
				rep := &memReport{}
				if _, err := Run(t.Context(), cfg, api, rowsOf(t, manifest(3, "user002,,", "USER003,,")), rep, &memSecrets{}); err != nil {
					t.Fatal(err)
				}
				rows := rep.byLine()
				if len(rows) != 5 {
					t.Fatalf("%d rows, want 5", len(rows))
				}
				for _, r := range rows[3:] {
					if r.ErrorCode != CodeDuplicateUser || !strings.Contains(r.Message, "line 3") && !strings.Contains(r.Message, "line 4") {
						t.Errorf("line %d: %s %s %q, want a DuplicateUser naming the first line", r.Line, r.Outcome, r.ErrorCode, r.Message)
					}
				}
				if !dry && api.writes.Load() != 3 {
					t.Errorf("%d writes, want 3", api.writes.Load())
				}
			})
		})
	}
}

// Rows that name one user by an alias, by sub or by another letter case
// resolve, through AdminGetUser, to one canonical username: the user is
// sent once, and the other rows fail as DuplicateUser naming the line sent.
func TestRowsResolvingToOneUserAreSentOnce(t *testing.T) {
	canonical := map[string]string{
		"rhaddad":                              "rhaddad",
		"R.Haddad@example.com":                 "rhaddad",
		"0f9c1a52-6a1e-4f3e-9a47-7d2b8e5c4a10": "rhaddad",
		"other":                                "other",
	}
	for _, dry := range []bool{false, true} {
		t.Run(map[bool]string{true: "dry run", false: "real run"}[dry], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				sent := map[string]int{}
				api := &fakeAPI{t: t,
					get: func(in *cip.AdminGetUserInput) (*cip.AdminGetUserOutput, error) {
						c, ok := canonical[*in.Username]
						if !ok {
							return nil, apiErr("UserNotFoundException", "User does not exist.")
						}
						return &cip.AdminGetUserOutput{Username: aws.String(c), UserStatus: types.UserStatusTypeConfirmed, Enabled: true}, nil
					},
					set: func(in *cip.AdminSetUserPasswordInput) error {
						mu.Lock()
						sent[canonical[*in.Username]]++
						mu.Unlock()
						return nil
					},
				}
				cfg := baseConfig(Set)
				cfg.DryRun, cfg.CheckFederated = dry, true
				rep := &memReport{}
				m := "username\nrhaddad\nR.Haddad@example.com\nother\n0f9c1a52-6a1e-4f3e-9a47-7d2b8e5c4a10\n"
				if _, err := Run(t.Context(), cfg, api, rowsOf(t, m), rep, &memSecrets{}); err != nil {
					t.Fatal(err)
				}
				firstLine, dups := 0, 0
				for _, r := range rep.byLine() {
					if r.ErrorCode == CodeDuplicateUser {
						dups++
						continue
					}
					if r.Outcome == report.Failed {
						t.Errorf("line %d failed: %s %s", r.Line, r.ErrorCode, r.Message)
					}
					if r.Username != "other" {
						firstLine = r.Line
					}
				}
				if dups != 2 {
					t.Errorf("%d DuplicateUser rows, want 2: %+v", dups, rep.byLine())
				}
				for _, r := range rep.byLine() {
					if r.ErrorCode == CodeDuplicateUser && !strings.Contains(r.Message, "line "+itoa(firstLine)+",") {
						t.Errorf("line %d: %q does not name line %d, the one sent", r.Line, r.Message, firstLine)
					}
				}
				if !dry && (sent["rhaddad"] != 1 || sent["other"] != 1) {
					t.Errorf("writes per user: %v, want one each", sent)
				}
			})
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
