package main

import (
	"path/filepath"
	"strings"
	"testing"

	"cogpass/cognito/policy"
	"cogpass/emulator"
)

// TestPasswordSymbols: --password-symbols restricts the generated
// passwords' symbols to the set; a set with a character Cognito does not
// accept as a symbol, or an empty set for a pool that requires symbols, is
// a usage error before any write.
func TestPasswordSymbols(t *testing.T) {
	e := newJobEmulator(t, 200, emulator.Options{})
	manifest := writeManifest(t, 200)
	secrets := filepath.Join(t.TempDir(), "s.csv")
	code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", manifest, "--endpoint-url", e.url, "--yes",
		"--rate", "1000", "--password-symbols", "!#", "--secrets", secrets)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	pws := readSecrets(t, secrets)
	if len(pws) != 200 {
		t.Fatalf("%d passwords, want 200", len(pws))
	}
	seen := map[rune]bool{}
	for _, pw := range pws {
		if err := policy.Default().Check(pw); err != nil {
			t.Errorf("a generated password breaks the policy: %v", err)
		}
		for _, r := range pw {
			if strings.ContainsRune(policy.Symbols, r) {
				seen[r] = true
				if r != '!' && r != '#' {
					t.Errorf("symbol %q outside the set", r)
				}
			}
		}
	}
	if !seen['!'] || !seen['#'] {
		t.Errorf("symbols drawn: %v", seen)
	}

	for _, tc := range []struct{ set, want string }{
		{"!a", "is not a symbol Cognito accepts"},
		{"", "requires symbols"},
	} {
		m := writeManifest(t, 3)
		before := e.writes("AdminSetUserPassword")
		code, stderr := runCLI(t, "set", "--user-pool-id", testPool, "--manifest", m, "--endpoint-url", e.url, "--yes", "--password-symbols", tc.set)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("--password-symbols %q: exit %d, stderr %q; want 2 and %q", tc.set, code, stderr, tc.want)
		}
		if n := e.writes("AdminSetUserPassword") - before; n != 0 {
			t.Errorf("--password-symbols %q: %d writes", tc.set, n)
		}
	}
}
