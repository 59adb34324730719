package policy

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

const prefix = "Password did not conform with policy: "

func TestCheck(t *testing.T) {
	all := Default()
	tests := []struct {
		name   string
		policy Policy
		pw     string
		want   string // reason, "" for compliant
	}{
		{"compliant", all, "Abcdef1!", ""},
		{"every symbol counts", all, "Abcdef1" + Symbols, ""},
		{"too short", all, "Ab1!", "Password not long enough"},
		{"exactly minimum", all, "Abcde1!x", ""},
		{"one below minimum", all, "Abcd1!x", "Password not long enough"},
		{"length in characters not bytes", Policy{MinimumLength: 4}, "éééé", ""},
		{"length in characters, short", Policy{MinimumLength: 5}, "éééé", "Password not long enough"},
		{"no lowercase", all, "ABCDEF1!", "Password must have lowercase characters"},
		{"no uppercase", all, "abcdef1!", "Password must have uppercase characters"},
		{"no number", all, "Abcdefg!", "Password must have numeric characters"},
		{"no symbol", all, "Abcdefg1", "Password must have symbol characters"},
		{"non-ASCII letters are not letters", all, "ÀBCDEF1!é", "Password must have lowercase characters"},
		{"non-ASCII letters not uppercase", all, "Éabcdef1!", "Password must have uppercase characters"},
		{"other punctuation is not a symbol", all, "Abcdef1§€", "Password must have symbol characters"},
		{"unicode digits are not numbers", all, "Abcdef!٣", "Password must have numeric characters"},
		// Order: length, then lowercase, uppercase, numbers, symbols.
		{"short and everything missing", all, "!", "Password not long enough"},
		{"digits only", all, "12345678", "Password must have lowercase characters"},
		{"symbols only", all, "!!!!!!!!", "Password must have lowercase characters"},
		{"lowercase only", all, "abcdefgh", "Password must have uppercase characters"},
		{"letters only", all, "abcdEFGH", "Password must have numeric characters"},
		{"no requirements", Policy{MinimumLength: 6}, "aaaaaa", ""},
		{"no requirements short", Policy{MinimumLength: 6}, "aaaaa", "Password not long enough"},
		{"lower and numbers", Policy{MinimumLength: 6, RequireLowercase: true, RequireNumbers: true}, "abc123", ""},
		{"lower and numbers, no number", Policy{MinimumLength: 6, RequireLowercase: true, RequireNumbers: true}, "ABCdef", "Password must have numeric characters"},
		{"symbols only required", Policy{MinimumLength: 6, RequireSymbols: true}, "`aaaaa", ""},
		{"backslash and quote are symbols", Policy{RequireSymbols: true}, `\"`, ""},
		{"empty, minimum 0", Policy{}, "", ""},
		{"empty, default", all, "", "Password not long enough"},
		{"minimum 99", Policy{MinimumLength: 99}, strings.Repeat("a", 98), "Password not long enough"},
		// An inner space is a special character (developer guide); one at
		// either end is not (the field refuses it anyway).
		{"passphrase", all, "correct horse Battery 9", ""},
		{"inner space is the only symbol", all, "Abcdef1 x", ""},
		{"leading space is not a symbol", all, " Abcdef1x", "Password must have symbol characters"},
		{"trailing space is not a symbol", all, "Abcdef1x ", "Password must have symbol characters"},
		{"tab is not a symbol", all, "Abcd\tef1x", "Password must have symbol characters"},
		{"no-break space is not a symbol", all, "Abcd\u00a0ef1x", "Password must have symbol characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.pw)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Check(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			var v *Violation
			if !errors.As(err, &v) {
				t.Fatalf("Check(%q) = %v (%T), want a *Violation", tt.pw, err, err)
			}
			if v.Reason != tt.want {
				t.Errorf("Check(%q) reason = %q, want %q", tt.pw, v.Reason, tt.want)
			}
			if got, want := err.Error(), prefix+tt.want; got != want {
				t.Errorf("Check(%q) = %q, want %q", tt.pw, got, want)
			}
		})
	}
}

func TestCheckField(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want string // substring of the error, "" for nil
	}{
		{"ok", "Abcdef1!", ""},
		{"one char", "x", ""},
		{"empty", "", "empty"},
		{"256 ascii", strings.Repeat("a", 256), ""},
		{"257 ascii", strings.Repeat("a", 257), "longer than 256"},
		{"256 runes of 2 bytes", strings.Repeat("é", 256), ""},
		{"257 runes of 2 bytes", strings.Repeat("é", 257), "longer than 256"},
		// Cognito's ^[\S]+.*[\S]+$: white space inside is fine, not at
		// either end; a line break nowhere.
		{"space inside", "Abc def1!", ""},
		{"passphrase", "correct horse Battery 9", ""},
		{"tab inside", "Abc\tdef1!", ""},
		{"no-break space inside", "Abc\u00a0def1!", ""},
		{"leading space", " Abcdef1!", "starts or ends with white space"},
		{"trailing space", "Abcdef1! ", "starts or ends with white space"},
		{"leading tab", "\tAbcdef1!", "starts or ends with white space"},
		{"trailing newline", "Abcdef1!\n", "starts or ends with white space"},
		{"trailing vertical tab", "Abcdef1!\v", "starts or ends with white space"},
		{"leading form feed", "\fAbcdef1!", "starts or ends with white space"},
		{"only spaces", "   ", "starts or ends with white space"},
		{"one space", " ", "starts or ends with white space"},
		{"newline inside", "Abc\ndef1!", "line break"},
		{"carriage return inside", "Abc\rdef1!", "line break"},
		{"next line inside", "Abc\u0085def1!", "line break"},
		{"line separator inside", "Abc\u2028def1!", "line break"},
		{"multibyte ends", "éAbc def1!é", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckField(tt.pw)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckField(%q) = %v, want nil", tt.pw, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckField(%q) = %v, want an error mentioning %q", tt.pw, err, tt.want)
			}
			// The message must never echo the password.
			if err != nil && len(tt.pw) > 2 && strings.Contains(err.Error(), tt.pw) {
				t.Errorf("CheckField error %q contains the password", err)
			}
		})
	}
}

func TestGeneratedLength(t *testing.T) {
	tests := []struct {
		name      string
		policy    Policy
		requested int
		want      int
		err       string
	}{
		{"default policy", Default(), 0, 16, ""},
		{"minimum above default", Policy{MinimumLength: 20}, 0, 20, ""},
		{"minimum 99", Policy{MinimumLength: 99}, 0, 99, ""},
		{"zero policy", Policy{}, 0, 16, ""},
		{"requested", Default(), 24, 24, ""},
		{"requested at minimum", Default(), 8, 8, ""},
		{"requested below minimum", Default(), 7, 0, "below the pool's minimum of 8"},
		{"requested 256", Default(), 256, 256, ""},
		{"requested 257", Default(), 257, 0, "above Cognito's limit of 256"},
		{"requested 4", Policy{MinimumLength: 4}, 4, 4, ""},
		{"requested 3", Policy{MinimumLength: 3}, 3, 0, "too short"},
		{"requested 1, no minimum", Policy{}, 1, 0, "too short"},
		{"negative", Policy{}, -1, 0, "password length -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.policy.GeneratedLength(tt.requested)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("GeneratedLength(%d) = %d, %v; want error %q", tt.requested, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("GeneratedLength(%d) = %d, %v; want %d", tt.requested, got, err, tt.want)
			}
		})
	}
}

func TestNewGeneratorErrors(t *testing.T) {
	if _, err := NewGenerator(Default(), 5); err == nil {
		t.Error("NewGenerator below the minimum succeeded")
	}
	g, err := NewGenerator(Policy{MinimumLength: 20}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if g.Length() != 20 {
		t.Errorf("Length() = %d, want 20", g.Length())
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy gone") }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestGenerateBrokenRandom(t *testing.T) {
	g, err := newGenerator(Default(), 0, errReader{})
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := g.Generate(); err == nil || pw != "" || !strings.Contains(err.Error(), "entropy gone") {
		t.Errorf("Generate with a failing reader = %q, %v", pw, err)
	}
	// A stuck source draws the same lowercase letter every time: the
	// redraw loop must give up rather than spin.
	g, err = newGenerator(Default(), 0, zeroReader{})
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := g.Generate(); err == nil || pw != "" || !strings.Contains(err.Error(), "no draw") {
		t.Errorf("Generate with a stuck reader = %q, %v", pw, err)
	}
}

// TestGenerateMillion draws a million passwords over several policies and
// checks every one, using every core.
func TestGenerateMillion(t *testing.T) {
	cases := []struct {
		name   string
		policy Policy
		length int
		n      int
	}{
		{"default", Default(), 0, 400_000},
		{"min 6 no symbols", Policy{MinimumLength: 6, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true}, 0, 200_000},
		{"lowercase and numbers", Policy{MinimumLength: 8, RequireLowercase: true, RequireNumbers: true}, 0, 150_000},
		{"length 4 all classes", Policy{MinimumLength: 4, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true}, 4, 200_000},
		{"min 99 all classes", Policy{MinimumLength: 99, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true}, 0, 50_000},
	}
	total := 0
	for _, c := range cases {
		total += c.n
	}
	if total < 1_000_000 {
		t.Fatalf("only %d draws in all", total)
	}
	allowed := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + Symbols
	for _, c := range cases {
		n := c.n
		if testing.Short() {
			n /= 50
		}
		t.Run(c.name, func(t *testing.T) {
			g, err := NewGenerator(c.policy, c.length)
			if err != nil {
				t.Fatal(err)
			}
			want := g.Length()
			workers := runtime.GOMAXPROCS(0)
			var next atomic.Int64
			var failures atomic.Int64
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for next.Add(1) <= int64(n) {
						pw, err := g.Generate()
						bad := ""
						switch {
						case err != nil:
							bad = err.Error()
						case c.policy.Check(pw) != nil:
							bad = c.policy.Check(pw).Error()
						case CheckField(pw) != nil:
							bad = CheckField(pw).Error()
						case utf8.RuneCountInString(pw) != want:
							bad = "wrong length"
						case strings.ContainsFunc(pw, func(r rune) bool { return !strings.ContainsRune(allowed, r) }):
							bad = "character outside the allowed set"
						case strings.ContainsAny(pw[:1], "=+-@"):
							bad = "starts with a character a spreadsheet reads as a formula"
						}
						if bad != "" && failures.Add(1) <= 5 {
							// Never print the password itself.
							t.Errorf("draw failed: %s", bad)
						}
					}
				})
			}
			wg.Wait()
			if f := failures.Load(); f > 0 {
				t.Errorf("%d of %d draws failed", f, n)
			}
		})
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "Abcdef1!", "abc", "ÀBCDEF1!é", strings.Repeat("x", 300), "a b", "\x00\xff", Symbols} {
		f.Add(s, uint8(8), uint8(0xff))
	}
	f.Fuzz(func(t *testing.T, pw string, minLen, flags uint8) {
		p := Policy{
			MinimumLength:    int(minLen),
			RequireUppercase: flags&1 != 0,
			RequireLowercase: flags&2 != 0,
			RequireNumbers:   flags&4 != 0,
			RequireSymbols:   flags&8 != 0,
		}
		err := p.Check(pw)
		if err != nil {
			var v *Violation
			if !errors.As(err, &v) || !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("Check error %v is not a Violation with Cognito's prefix", err)
			}
		}
		// A policy with no requirements accepts whatever is long enough.
		if (Policy{MinimumLength: int(minLen)}).Check(pw) == nil != (utf8.RuneCountInString(pw) >= int(minLen)) {
			t.Fatalf("length rule disagrees with the rune count for %q", pw)
		}
		_ = CheckField(pw)
	})
}

func TestParse(t *testing.T) {
	want := Policy{MinimumLength: 12, RequireUppercase: true, RequireNumbers: true, TemporaryPasswordValidityDays: 3, PasswordHistorySize: 5}
	body := `{"MinimumLength":12,"RequireUppercase":true,"RequireLowercase":false,"RequireNumbers":true,"RequireSymbols":false,"TemporaryPasswordValidityDays":3,"PasswordHistorySize":5}`
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"describe-user-pool", `{"UserPool":{"Id":"us-east-1_X","Policies":{"PasswordPolicy":` + body + `}}}`, false},
		{"cogpass policy", `{"PasswordPolicy":` + body + `}`, false},
		{"bare", body, false},
		{"no policy", `{"UserPool":{"Id":"x"}}`, true},
		{"not json", `MinimumLength: 8`, true},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if !tt.wantErr && got != want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, want)
		}
	}
}

// TestWithSymbols draws many passwords from a restricted symbol set: every
// symbol is from the set, the policy still holds, none starts a formula.
func TestWithSymbols(t *testing.T) {
	for _, tc := range []struct {
		name, set string
		policy    Policy
	}{
		{"two symbols", "!#", Default()},
		{"formula characters only", "=+-@", Default()},
		{"repeated", "!!!", Default()},
		{"none, symbols not required", "", Policy{MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGenerator(tc.policy, 0)
			if err != nil {
				t.Fatal(err)
			}
			g, err = g.WithSymbols(tc.set)
			if err != nil {
				t.Fatal(err)
			}
			n := 20_000
			if testing.Short() {
				n /= 20
			}
			seen := map[rune]bool{}
			for range n {
				pw, err := g.Generate()
				if err != nil {
					t.Fatal(err)
				}
				if err := tc.policy.Check(pw); err != nil {
					t.Fatalf("draw breaks the policy: %v", err)
				}
				if strings.ContainsAny(pw[:1], "=+-@") {
					t.Fatal("draw starts with a formula character")
				}
				for _, r := range pw {
					if strings.ContainsRune(Symbols, r) {
						if !strings.ContainsRune(tc.set, r) {
							t.Fatalf("symbol %q is not in the set %q", r, tc.set)
						}
						seen[r] = true
					}
				}
			}
			for _, r := range tc.set {
				if !seen[r] {
					t.Errorf("symbol %q of the set never drawn", r)
				}
			}
		})
	}
}

func TestWithSymbolsRefuses(t *testing.T) {
	g, err := NewGenerator(Default(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WithSymbols("!a"); err == nil || !strings.Contains(err.Error(), `'a' is not a symbol`) {
		t.Errorf("a letter in the set: %v", err)
	}
	if _, err := g.WithSymbols("!é"); err == nil {
		t.Error("a non-ASCII character in the set is accepted")
	}
	if _, err := g.WithSymbols(""); err == nil || !strings.Contains(err.Error(), "requires symbols") {
		t.Errorf("an empty set for a policy that requires symbols: %v", err)
	}
}
