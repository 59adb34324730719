package emulator

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"cogpass/cognito/policy"
)

// User statuses, as Cognito names them.
const (
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	StatusResetRequired       = "RESET_REQUIRED"
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusExternalProvider    = "EXTERNAL_PROVIDER"
	StatusArchived            = "ARCHIVED"
	StatusCompromised         = "COMPROMISED"
	StatusUnknown             = "UNKNOWN"
)

// statuses is indexed by a user's status code; the index is what a user
// stores, to keep it one byte.
var statuses = []string{StatusConfirmed, StatusForceChangePassword, StatusResetRequired, StatusUnconfirmed,
	StatusExternalProvider, StatusArchived, StatusCompromised, StatusUnknown}

const (
	stConfirmed uint8 = iota
	stForceChange
	stResetRequired
	stUnconfirmed
	stExternal
)

func statusCode(name string) (uint8, bool) {
	for i, s := range statuses {
		if strings.EqualFold(s, name) {
			return uint8(i), true
		}
	}
	return 0, false
}

// PoolConfig describes a user pool to create.
type PoolConfig struct {
	ID   string // e.g. us-east-1_Demo; empty: generated
	Name string // empty: the ID
	// Policy is the password policy; the zero Policy means policy.Default().
	Policy policy.Policy
	// CaseSensitive makes usernames case-sensitive: John.Doe and john.doe
	// are two users. Otherwise a username is found in any letter case and
	// answered in its own spelling. PoolConfig's zero value is
	// case-insensitive (the console's choice for new pools); CreateUserPool
	// without UsernameConfiguration makes a case-sensitive pool, as
	// Cognito's API does.
	CaseSensitive bool
	// EmailSendingAccount is COGNITO_DEFAULT (the default) or DEVELOPER.
	EmailSendingAccount string
	// AliasAttributes may hold "email" and "phone_number" (and
	// "preferred_username", which the emulator accepts but does not keep):
	// a verified e-mail address or phone number then signs in and looks
	// users up like a username, and the answer names the user's username.
	AliasAttributes []string
	// UsernameAttributes ("email", "phone_number"; exclusive with
	// AliasAttributes) makes the e-mail address or phone number the
	// sign-in name: a user is created with it as Username (AddUser,
	// AdminCreateUser) and gets a generated UUID, its sub, as username.
	UsernameAttributes []string
	// AccountRecovery is the AccountRecoverySetting, mechanisms in
	// priority order: verified_email, verified_phone_number, or admin_only
	// alone (no self-service recovery: AdminResetUserPassword is refused).
	// nil: verified_email, then verified_phone_number.
	AccountRecovery []string

	legacyRecovery bool // CreateUserPool without AccountRecoverySetting
}

// SeedUser is a user to add directly, in any state.
type SeedUser struct {
	// Username is the username; in a pool with UsernameAttributes, the
	// user's e-mail address or phone number (verified), and the username
	// is generated: the user's sub.
	Username string
	Status   string // CONFIRMED (default), FORCE_CHANGE_PASSWORD, RESET_REQUIRED, UNCONFIRMED, EXTERNAL_PROVIDER, ...
	Disabled bool
	Email    string
	// EmailVerified and PhoneVerified set the *_verified attributes.
	EmailVerified bool
	Phone         string
	PhoneVerified bool
	// Password is the user's current password (temporary for
	// FORCE_CHANGE_PASSWORD); empty: none, so the user cannot sign in until
	// one is set. It is not checked against the policy.
	Password string
	// Created and LastModified default to now. LastModified also dates a
	// temporary password: a FORCE_CHANGE_PASSWORD user whose LastModified is
	// older than the pool's TemporaryPasswordValidityDays cannot sign in.
	Created, LastModified time.Time
	Sub                   string // UUID; empty: generated
}

type pool struct {
	mu sync.RWMutex

	id, name, arn       string
	policy              policy.Policy
	caseSensitive       bool
	emailSendingAccount string
	aliasAttributes     []string
	usernameAttrs       []string
	recovery            []string // AccountRecoverySetting, in priority order
	recoveryLegacy      bool     // made without one: DescribeUserPool omits it
	created, modified   time.Time

	// users in insertion order (the order of ListUsers); index maps a
	// username key (folded when case-insensitive) to its position.
	users  []user
	index  map[string]int32
	emails map[string]int32 // e-mail (folded like usernames) -> position, with the email alias or sign-in attribute
	phones map[string]int32 // phone number -> position, likewise
	// subs maps a sub to a position; built on the first look-up by sub
	// (see identity.go), guarded by subMu as well as mu.
	subMu sync.Mutex
	subs  map[[16]byte]int32
}

// Per-user flags.
const (
	flDisabled uint8 = 1 << iota
	flEmailVerified
	flPhoneVerified
	flSeedEmail // the email is <username>@example.com, computed, not stored
)

// user is kept small: a million of them must fit comfortably. Attributes are
// a few fixed fields (no map per user), times are Unix milliseconds, and
// password history is allocated only in pools that have a history policy.
type user struct {
	name     string
	email    string
	phone    string
	password string
	history  []string // most recent passwords, current last; nil unless the pool keeps history
	sub      [16]byte
	created  int64 // Unix milliseconds
	modified int64
	// A token bucket for Cognito's per-user write limit: tokens left and the
	// time of the last refill (since the server started).
	wLast   time.Duration
	wTokens float32
	status  uint8
	flags   uint8
	// signOuts counts AdminUserGlobalSignOut calls: tokens carry the count
	// they were issued at, and one that differs has been revoked.
	signOuts uint16
}

func (u *user) enabled() bool { return u.flags&flDisabled == 0 }

func (u *user) emailAddr() string {
	if u.flags&flSeedEmail != 0 {
		return u.name + "@example.com"
	}
	return u.email
}

func (u *user) hasVerifiedContact() bool {
	return (u.emailAddr() != "" && u.flags&flEmailVerified != 0) || (u.phone != "" && u.flags&flPhoneVerified != 0)
}

func (p *pool) key(username string) string {
	if p.caseSensitive {
		return username
	}
	return strings.ToLower(username)
}

// find resolves a username, or an alias or sign-in attribute (see
// identity.go), to a user position.
func (p *pool) find(username string) (int32, bool) {
	if i, ok := p.index[p.key(username)]; ok {
		return i, true
	}
	return p.findAlias(username)
}

var poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// CreatePool adds a user pool.
func (s *Server) CreatePool(cfg PoolConfig) error {
	_, err := s.createPool(cfg)
	return err
}

func (s *Server) createPool(cfg PoolConfig) (*pool, error) {
	if cfg.ID == "" {
		cfg.ID = s.opts.Region + "_" + s.randomAlnum(9)
	}
	if !poolIDPattern.MatchString(cfg.ID) || len(cfg.ID) > 55 {
		return nil, fmt.Errorf("pool ID %q: want REGION_ID, e.g. us-east-1_Demo", cfg.ID)
	}
	if cfg.Policy == (policy.Policy{}) {
		cfg.Policy = policy.Default()
	}
	if cfg.Policy.MinimumLength < 6 || cfg.Policy.MinimumLength > 99 {
		return nil, fmt.Errorf("pool %s: minimum password length %d is outside Cognito's 6..99", cfg.ID, cfg.Policy.MinimumLength)
	}
	if cfg.Policy.PasswordHistorySize < 0 || cfg.Policy.PasswordHistorySize > 24 {
		return nil, fmt.Errorf("pool %s: password history size %d is outside Cognito's 0..24", cfg.ID, cfg.Policy.PasswordHistorySize)
	}
	if cfg.Policy.TemporaryPasswordValidityDays == 0 {
		cfg.Policy.TemporaryPasswordValidityDays = 7
	}
	switch cfg.EmailSendingAccount {
	case "":
		cfg.EmailSendingAccount = "COGNITO_DEFAULT"
	case "COGNITO_DEFAULT", "DEVELOPER":
	default:
		return nil, fmt.Errorf("pool %s: email sending account %q: want COGNITO_DEFAULT or DEVELOPER", cfg.ID, cfg.EmailSendingAccount)
	}
	if cfg.Name == "" {
		cfg.Name = cfg.ID
	}
	if err := checkUsernameAttributes(cfg.UsernameAttributes, cfg.AliasAttributes); err != nil {
		return nil, fmt.Errorf("pool %s: %w", cfg.ID, err)
	}
	legacy := cfg.legacyRecovery && cfg.AccountRecovery == nil
	if cfg.AccountRecovery == nil {
		cfg.AccountRecovery = defaultRecovery
		if legacy {
			cfg.AccountRecovery = legacyRecovery
		}
	}
	if err := checkRecovery(cfg.AccountRecovery); err != nil {
		return nil, fmt.Errorf("pool %s: %w", cfg.ID, err)
	}
	now := time.Now()
	p := &pool{
		id: cfg.ID, name: cfg.Name,
		arn:                 fmt.Sprintf("arn:aws:cognito-idp:%s:000000000000:userpool/%s", s.opts.Region, cfg.ID),
		policy:              cfg.Policy,
		caseSensitive:       cfg.CaseSensitive,
		emailSendingAccount: cfg.EmailSendingAccount,
		aliasAttributes:     slices.Clone(cfg.AliasAttributes),
		usernameAttrs:       slices.Clone(cfg.UsernameAttributes),
		recovery:            slices.Clone(cfg.AccountRecovery),
		recoveryLegacy:      legacy,
		created:             now, modified: now,
		index: map[string]int32{},
	}
	if slices.Contains(cfg.AliasAttributes, "email") || slices.Contains(cfg.UsernameAttributes, "email") {
		p.emails = map[string]int32{}
	}
	if slices.Contains(cfg.AliasAttributes, "phone_number") || slices.Contains(cfg.UsernameAttributes, "phone_number") {
		p.phones = map[string]int32{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.pools[cfg.ID]; dup {
		return nil, fmt.Errorf("pool %s already exists", cfg.ID)
	}
	s.pools[cfg.ID] = p
	return p, nil
}

func (s *Server) pool(id string) *pool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pools[id]
}

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func (s *Server) randomAlnum(n int) string {
	b := make([]byte, n)
	s.randomBytes(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// SeedUsers adds n users named user000001, user000002, ... (zero-padded to
// six digits, or wider when n needs it), CONFIRMED, enabled, each with the
// verified email <username>@example.com and no password.
func (s *Server) SeedUsers(poolID string, n int) error {
	return s.seedUsers(poolID, n, "")
}

// SeedUsersWithPassword is SeedUsers with one permanent password for every
// user, so that they can sign in.
func (s *Server) SeedUsersWithPassword(poolID string, n int, password string) error {
	return s.seedUsers(poolID, n, password)
}

func (s *Server) seedUsers(poolID string, n int, password string) error {
	if n < 0 || n > math.MaxInt32 {
		return fmt.Errorf("seed %d users: want 0..%d", n, math.MaxInt32)
	}
	p := s.pool(poolID)
	if p == nil {
		return fmt.Errorf("seed users: pool %s does not exist", poolID)
	}
	width := max(6, len(strconv.Itoa(n)))
	subs := make([]byte, 16*n)
	s.randomBytes(subs)
	now := time.Now().UnixMilli()

	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.users)+n > math.MaxInt32 {
		return fmt.Errorf("seed %d users: pool %s would exceed %d users", n, poolID, math.MaxInt32)
	}
	p.users = slices.Grow(p.users, n)
	var buf []byte
	for i := range n {
		buf = append(buf[:0], "user"...)
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		if pad := width + 4 - len(buf); pad > 0 {
			buf = slices.Insert(buf, 4, []byte(strings.Repeat("0", pad))...)
		}
		name := string(buf)
		if _, dup := p.find(name); dup {
			return fmt.Errorf("seed users: %s already exists in pool %s", name, poolID)
		}
		u := user{name: name, password: password, created: now, modified: now, status: stConfirmed,
			flags: flSeedEmail | flEmailVerified}
		copy(u.sub[:], subs[16*i:])
		u.sub = uuid4(u.sub)
		if len(p.usernameAttrs) > 0 {
			// The pool signs users in by e-mail (or phone): the seeded name
			// becomes the e-mail address, the username the sub.
			u.email, u.flags = name+"@example.com", flEmailVerified
			if !p.signInAttr("email") {
				u.email, u.flags = "", 0
			}
			u.name = formatUUID(u.sub)
		}
		if password != "" && p.policy.PasswordHistorySize > 0 {
			u.history = []string{password}
		}
		p.insert(u)
	}
	return nil
}

// insert appends a user; the caller holds p.mu and has checked for a
// duplicate.
func (p *pool) insert(u user) {
	pos := int32(len(p.users))
	p.users = append(p.users, u)
	p.index[p.key(u.name)] = pos
	p.indexAliases(pos)
	p.indexSub(pos)
}

// AddUser adds one user in the given state.
func (s *Server) AddUser(poolID string, su SeedUser) error {
	p := s.pool(poolID)
	if p == nil {
		return fmt.Errorf("add user: pool %s does not exist", poolID)
	}
	if err := validUsername(su.Username); err != nil {
		return fmt.Errorf("add user %q: %w", su.Username, err)
	}
	st := stConfirmed
	if su.Status != "" {
		var ok bool
		if st, ok = statusCode(su.Status); !ok {
			return fmt.Errorf("add user %q: unknown status %q (known: %s)", su.Username, su.Status, strings.Join(statuses, ", "))
		}
	}
	u := user{name: su.Username, email: su.Email, phone: su.Phone, password: su.Password, status: st}
	if su.Disabled {
		u.flags |= flDisabled
	}
	if su.EmailVerified {
		u.flags |= flEmailVerified
	}
	if su.PhoneVerified {
		u.flags |= flPhoneVerified
	}
	now := time.Now()
	u.created, u.modified = now.UnixMilli(), now.UnixMilli()
	if !su.Created.IsZero() {
		u.created = su.Created.UnixMilli()
	}
	if !su.LastModified.IsZero() {
		u.modified = su.LastModified.UnixMilli()
	}
	if su.Sub != "" {
		sub, err := parseUUID(su.Sub)
		if err != nil {
			return fmt.Errorf("add user %q: %w", su.Username, err)
		}
		u.sub = sub
	} else {
		s.randomBytes(u.sub[:])
		u.sub = uuid4(u.sub)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if su.Password != "" && p.policy.PasswordHistorySize > 0 {
		u.history = []string{su.Password}
	}
	if len(p.usernameAttrs) > 0 {
		// Username is the sign-in e-mail address or phone number; the
		// username proper is generated.
		email, phone, err := p.signInName(su.Username)
		if err != nil {
			return fmt.Errorf("add user %q: %w", su.Username, err)
		}
		if email != "" {
			u.email, u.flags = email, u.flags|flEmailVerified
		}
		if phone != "" {
			u.phone, u.flags = phone, u.flags|flPhoneVerified
		}
		if _, dup := p.findAlias(su.Username); dup {
			return fmt.Errorf("add user %q: %w", su.Username, ErrUserExists)
		}
		u.name = formatUUID(u.sub)
	}
	if _, dup := p.index[p.key(u.name)]; dup {
		return fmt.Errorf("add user %q: %w", su.Username, ErrUserExists)
	}
	p.insert(u)
	return nil
}

// ErrUserExists is returned by AddUser for a username the pool already has.
var ErrUserExists = errors.New("user already exists")

func parseUUID(s string) ([16]byte, error) {
	var out [16]byte
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return out, fmt.Errorf("sub %q is not a UUID", s)
	}
	for i := range 16 {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return out, fmt.Errorf("sub %q is not a UUID", s)
		}
		out[i] = byte(v)
	}
	return out, nil
}

// validUsername applies the Username field's constraints: 1 to 128
// characters of letters, marks, symbols, numbers and punctuation
// ([\p{L}\p{M}\p{S}\p{N}\p{P}]+), so no white space or control characters.
func validUsername(name string) error {
	if name == "" {
		return errors.New("username is empty")
	}
	if !utf8.ValidString(name) {
		return errors.New("username is not valid UTF-8")
	}
	if utf8.RuneCountInString(name) > 128 {
		return errors.New("username is longer than 128 characters")
	}
	for _, r := range name {
		if !unicode.In(r, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P) {
			return fmt.Errorf("username contains %q, which Cognito does not accept", r)
		}
	}
	return nil
}
