// Package policy checks passwords against a Cognito user pool's password
// policy and generates passwords that satisfy it. The emulator enforces the
// policy with Check and the job validates manifest passwords with it, so both
// give Cognito's own wording.
package policy

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-password/password"
)

// Symbols is the set of special characters Cognito accepts in a password
// policy's RequireSymbols rule, besides an inner space (see Check); the
// generator draws from it.
const Symbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"

// MaxLength is Cognito's limit on the Password field.
const MaxLength = 256

// DefaultGeneratedLength is the length of generated passwords when the
// policy's minimum is shorter.
const DefaultGeneratedLength = 16

// Policy is a user pool's password policy, as DescribeUserPool returns it in
// Policies.PasswordPolicy.
type Policy struct {
	MinimumLength                 int  `json:"MinimumLength"`
	RequireUppercase              bool `json:"RequireUppercase"`
	RequireLowercase              bool `json:"RequireLowercase"`
	RequireNumbers                bool `json:"RequireNumbers"`
	RequireSymbols                bool `json:"RequireSymbols"`
	TemporaryPasswordValidityDays int  `json:"TemporaryPasswordValidityDays"`
	PasswordHistorySize           int  `json:"PasswordHistorySize,omitempty"`
}

// Default is the policy Cognito gives a new pool: eight characters, all four
// character classes, temporary passwords valid for seven days.
func Default() Policy {
	return Policy{
		MinimumLength:                 8,
		RequireUppercase:              true,
		RequireLowercase:              true,
		RequireNumbers:                true,
		RequireSymbols:                true,
		TemporaryPasswordValidityDays: 7,
	}
}

// Violation is a password that breaks the policy. Its message is Cognito's.
type Violation struct{ Reason string }

func (v *Violation) Error() string {
	return "Password did not conform with policy: " + v.Reason
}

// CheckField applies the constraints of the API's Password field, which hold
// whatever the policy: 1 to 256 characters, and no white space at either
// end. Cognito checks the field against ^[\S]+.*[\S]+$ (its
// InvalidParameterException reads "Member must satisfy regular expression
// pattern: ^[\S]+.*[\S]+$"), in Java's regular expressions: \S is
// anything but space, \t, \n, \v, \f and \r, and '.' anything but a line
// terminator. So a space inside a passphrase is fine ("correct horse
// Battery 9"), a leading or trailing one is not, and nor is a line break
// anywhere.
func CheckField(pw string) error {
	switch {
	case pw == "":
		return fmt.Errorf("password is empty")
	case utf8.RuneCountInString(pw) > MaxLength:
		return fmt.Errorf("password is longer than %d characters", MaxLength)
	case strings.ContainsAny(pw[:1], fieldSpace) || strings.ContainsAny(pw[len(pw)-1:], fieldSpace):
		return fmt.Errorf("password starts or ends with white space")
	case strings.ContainsAny(pw, lineTerminators):
		return fmt.Errorf("password contains a line break")
	}
	return nil
}

// fieldSpace is Java's \s: the white space Cognito refuses at either end of
// a password.
const fieldSpace = " \t\n\v\f\r"

// lineTerminators are the characters Java's '.' does not match: refused
// anywhere in a password.
const lineTerminators = "\n\r\u0085\u2028\u2029"

// Check reports the first rule of the policy that pw breaks, in the order
// and the words Cognito uses, or nil.
func (p Policy) Check(pw string) error {
	var upper, lower, digit, symbol bool
	for i, r := range pw {
		switch {
		case r == ' ' && i > 0 && i < len(pw)-1:
			// "The space character is also treated as a special
			// character" (developer guide, user pool password
			// requirements, user-pool-settings-policies.html), when it
			// is neither leading nor trailing: those are refused.
			symbol = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r < utf8.RuneSelf && strings.ContainsRune(Symbols, r):
			symbol = true
		}
	}
	switch {
	case utf8.RuneCountInString(pw) < p.MinimumLength:
		return &Violation{"Password not long enough"}
	case p.RequireLowercase && !lower:
		return &Violation{"Password must have lowercase characters"}
	case p.RequireUppercase && !upper:
		return &Violation{"Password must have uppercase characters"}
	case p.RequireNumbers && !digit:
		return &Violation{"Password must have numeric characters"}
	case p.RequireSymbols && !symbol:
		return &Violation{"Password must have symbol characters"}
	}
	return nil
}

// GeneratedLength is the length Generator uses for this policy when the
// operator asks for none (requested 0): the policy's minimum, but never
// below DefaultGeneratedLength.
func (p Policy) GeneratedLength(requested int) (int, error) {
	if requested == 0 {
		return max(p.MinimumLength, DefaultGeneratedLength), nil
	}
	if requested < p.MinimumLength {
		return 0, fmt.Errorf("password length %d is below the pool's minimum of %d", requested, p.MinimumLength)
	}
	if requested > MaxLength {
		return 0, fmt.Errorf("password length %d is above Cognito's limit of %d", requested, MaxLength)
	}
	if requested < 4 {
		return 0, fmt.Errorf("password length %d is too short to hold every character class", requested)
	}
	return requested, nil
}

// Generator draws passwords that satisfy a policy from crypto/rand. It is
// safe for concurrent use.
type Generator struct {
	policy  Policy
	length  int
	symbols string // the symbols drawn from; "" for none
	random  io.Reader
	gen     *password.Generator
}

// NewGenerator returns a generator of passwords of the given length (0 for
// the policy's default, see GeneratedLength).
func NewGenerator(p Policy, length int) (*Generator, error) {
	return newGenerator(p, length, rand.Reader)
}

func newGenerator(p Policy, length int, random io.Reader) (*Generator, error) {
	n, err := p.GeneratedLength(length)
	if err != nil {
		return nil, err
	}
	g := &Generator{policy: p, length: n, random: random}
	if err := g.draw(Symbols); err != nil {
		return nil, err
	}
	return g, nil
}

// draw sets the symbols the generator draws from.
func (g *Generator) draw(symbols string) error {
	set := symbols
	if set == "" {
		set = "!" // go-password takes "" for its own set; no symbol is drawn anyway
	}
	gen, err := password.NewGenerator(&password.GeneratorInput{
		LowerLetters: password.LowerLetters,
		UpperLetters: password.UpperLetters,
		Digits:       password.Digits,
		Symbols:      set,
		Reader:       g.random,
	})
	if err != nil {
		return err
	}
	g.symbols, g.gen = symbols, gen
	return nil
}

// CheckSymbolSet checks a --password-symbols set: every character must be
// one of the symbols Cognito accepts (Symbols), listed in the developer
// guide's "Password requirements" (user-pool-settings-passwords.html).
func CheckSymbolSet(set string) error {
	for _, r := range set {
		if r >= utf8.RuneSelf || !strings.ContainsRune(Symbols, r) {
			return fmt.Errorf("%q is not a symbol Cognito accepts (%s)", r, Symbols)
		}
	}
	return nil
}

// WithSymbols returns a generator like g that draws its symbols from set
// only (for mail-merge templates that choke on quotes, commas or
// backslashes). The set must pass CheckSymbolSet; an empty set draws no
// symbol, which a policy that requires symbols refuses.
func (g *Generator) WithSymbols(set string) (*Generator, error) {
	if err := CheckSymbolSet(set); err != nil {
		return nil, err
	}
	if set == "" && g.policy.RequireSymbols {
		return nil, fmt.Errorf("the pool's password policy requires symbols, and the symbol set is empty")
	}
	// Distinct characters only, so that each is drawn as often.
	var uniq []rune
	for _, r := range set {
		if !slices.Contains(uniq, r) {
			uniq = append(uniq, r)
		}
	}
	c := *g
	if err := c.draw(string(uniq)); err != nil {
		return nil, err
	}
	return &c, nil
}

// Length is the length of the passwords the generator draws.
func (g *Generator) Length() int { return g.length }

// maxDraws bounds the redraws; at 16 characters over 94 symbols a draw
// misses a letter case with a probability far below one in a thousand, so
// hitting it means a broken random source.
const maxDraws = 1000

// Generate returns a password that satisfies the policy. go-password places
// the requested digits and symbols but draws letters from both cases without
// guaranteeing either, so every draw is checked and drawn again on a miss.
func (g *Generator) Generate() (string, error) {
	// A quarter of digits and symbols each (at least one) keeps the
	// password strong and makes a miss on those classes impossible.
	n := max(1, g.length/4)
	nSymbols := n
	if g.symbols == "" {
		nSymbols = 0
	}
	for range maxDraws {
		pw, err := g.gen.Generate(g.length, n, nSymbols, false, true)
		if err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		// A password starting with = + - or @ is read as a formula by a
		// spreadsheet that opens the secrets file (OWASP CSV injection), and
		// the secrets file must hold it exactly: such a draw is drawn again
		// (about one in 30 at 16 characters).
		if formulaStart(pw[0]) {
			continue
		}
		if g.policy.Check(pw) == nil && CheckField(pw) == nil {
			return pw, nil
		}
	}
	return "", fmt.Errorf("generate password: no draw of %d satisfied the policy", maxDraws)
}

// formulaStart reports whether a spreadsheet reads a cell starting with c
// as a formula.
func formulaStart(c byte) bool {
	return c == '=' || c == '+' || c == '-' || c == '@'
}

// Parse reads a password policy from JSON: what `aws cognito-idp
// describe-user-pool` prints ({"UserPool":{"Policies":{"PasswordPolicy":
// ...}}}), what `cogpass policy --output json` writes ({"PasswordPolicy":
// ...}), or the policy object itself.
func Parse(data []byte) (Policy, error) {
	var doc struct {
		UserPool *struct {
			Policies *struct {
				PasswordPolicy *Policy
			}
		}
		PasswordPolicy *Policy
		MinimumLength  *int
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return Policy{}, fmt.Errorf("parse policy: %w", err)
	}
	switch {
	case doc.UserPool != nil && doc.UserPool.Policies != nil && doc.UserPool.Policies.PasswordPolicy != nil:
		return *doc.UserPool.Policies.PasswordPolicy, nil
	case doc.PasswordPolicy != nil:
		return *doc.PasswordPolicy, nil
	case doc.MinimumLength != nil:
		var p Policy
		if err := json.Unmarshal(data, &p); err != nil {
			return Policy{}, fmt.Errorf("parse policy: %w", err)
		}
		return p, nil
	}
	return Policy{}, fmt.Errorf("parse policy: no PasswordPolicy found (want the output of describe-user-pool or cogpass policy --output json)")
}

// ParseCaseSensitive reads a pool's username case rule from the same JSON
// as Parse: UsernameConfiguration.CaseSensitive, under UserPool (as
// describe-user-pool prints it) or at the top (as `cogpass policy --output
// json` writes it). It is nil when the file does not say; the caller then
// takes the API's default, case-sensitive.
func ParseCaseSensitive(data []byte) *bool {
	type usernameConfig struct{ CaseSensitive *bool }
	var doc struct {
		UserPool *struct {
			UsernameConfiguration *usernameConfig
		}
		UsernameConfiguration *usernameConfig
	}
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	switch {
	case doc.UserPool != nil && doc.UserPool.UsernameConfiguration != nil:
		return doc.UserPool.UsernameConfiguration.CaseSensitive
	case doc.UsernameConfiguration != nil:
		return doc.UsernameConfiguration.CaseSensitive
	}
	return nil
}
