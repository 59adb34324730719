package emulator

import (
	"fmt"
	"slices"
	"strings"
)

// Who a user is: the ways a request's Username finds a user, as Cognito
// resolves them, and the pool settings that decide it.
//
//   - The username itself, folded to lower case in a case-insensitive pool
//     (UsernameConfiguration.CaseSensitive false); the answer always carries
//     the spelling the user was created with. CaseSensitive is true when
//     CreateUserPool does not give it ("This is the default value", API
//     reference, UsernameConfigurationType).
//   - An alias (AliasAttributes email, phone_number): a verified e-mail
//     address or phone number finds its user. The pool's letter-case rule
//     applies to e-mail addresses too: CaseSensitive false "also enables
//     both preferred_username and email alias to be case insensitive"
//     (service model, UsernameConfigurationType).
//   - A sign-in attribute (UsernameAttributes email, phone_number): the
//     user's username is a generated UUID (its sub), and the e-mail address
//     or phone number finds the user.
//   - The user's sub, for the admin operations: "If username isn't an alias
//     attribute in your user pool, this value must be the sub of a local user
//     or the username of a user from a third-party IdP" (botocore
//     cognito-idp service-2.json, the Username member of AdminGetUser,
//     AdminSetUserPassword, AdminResetUserPassword,
//     AdminUserGlobalSignOut, ...).

// Recovery mechanisms of AccountRecoverySetting (RecoveryOptionNameType).
const (
	RecoveryVerifiedEmail = "verified_email"
	RecoveryVerifiedPhone = "verified_phone_number"
	RecoveryAdminOnly     = "admin_only"
)

// defaultRecovery is what the console sets for a new pool and what the
// emulator's Go API and command give a pool when PoolConfig.AccountRecovery
// is nil.
var defaultRecovery = []string{RecoveryVerifiedEmail, RecoveryVerifiedPhone}

// legacyRecovery is the order Cognito uses for a pool made without an
// AccountRecoverySetting: "Cognito uses a verified phone first. If the
// verified phone is not found for the user, Cognito falls back and will use
// verified email next" (developer guide, Recovering user accounts).
var legacyRecovery = []string{RecoveryVerifiedPhone, RecoveryVerifiedEmail}

// recoveryOptionIn is a RecoveryOptionType of CreateUserPool.
type recoveryOptionIn struct {
	Priority int
	Name     string
}

func checkRecovery(mechs []string) error {
	if len(mechs) == 0 || len(mechs) > 2 {
		return fmt.Errorf("account recovery %v: want one or two mechanisms", mechs)
	}
	for i, m := range mechs {
		switch m {
		case RecoveryVerifiedEmail, RecoveryVerifiedPhone:
		case RecoveryAdminOnly:
			// "You cannot use admin_only with any other account recovery
			// mechanism" (developer guide, Recovering user accounts).
			if len(mechs) > 1 {
				return fmt.Errorf("account recovery %v: admin_only cannot be combined with another mechanism", mechs)
			}
		default:
			return fmt.Errorf("account recovery mechanism %q: want verified_email, verified_phone_number or admin_only", m)
		}
		if slices.Contains(mechs[:i], m) {
			return fmt.Errorf("account recovery %v: %s given twice", mechs, m)
		}
	}
	return nil
}

func checkUsernameAttributes(attrs, aliases []string) error {
	for _, a := range attrs {
		if a != "email" && a != "phone_number" {
			return fmt.Errorf("username attribute %q: want email or phone_number", a)
		}
	}
	if len(attrs) > 0 && len(aliases) > 0 {
		// UsernameAttributes and AliasAttributes are exclusive (API
		// reference, CreateUserPool).
		return fmt.Errorf("username attributes %v and alias attributes %v: a pool has one or the other", attrs, aliases)
	}
	for _, a := range aliases {
		if a != "email" && a != "phone_number" && a != "preferred_username" {
			return fmt.Errorf("alias attribute %q: want email, phone_number or preferred_username", a)
		}
	}
	return nil
}

// signInAttr reports whether the pool uses attr ("email" or
// "phone_number") as its sign-in name (UsernameAttributes).
func (p *pool) signInAttr(attr string) bool { return slices.Contains(p.usernameAttrs, attr) }

// findAlias resolves an e-mail address or phone number that is an alias or a
// sign-in attribute of the pool.
func (p *pool) findAlias(name string) (int32, bool) {
	if p.emails != nil {
		if i, ok := p.emails[p.key(name)]; ok {
			return i, true
		}
	}
	if p.phones != nil {
		if i, ok := p.phones[name]; ok {
			return i, true
		}
	}
	return 0, false
}

// indexAliases records a user's e-mail address and phone number where the
// pool resolves them: always for a sign-in attribute, only when verified
// for an alias. The caller holds p.mu for writing.
func (p *pool) indexAliases(pos int32) {
	u := &p.users[pos]
	if p.emails != nil {
		if e := u.emailAddr(); e != "" && (p.signInAttr("email") || u.flags&flEmailVerified != 0) {
			p.emails[p.key(e)] = pos
		}
	}
	if p.phones != nil {
		if u.phone != "" && (p.signInAttr("phone_number") || u.flags&flPhoneVerified != 0) {
			p.phones[u.phone] = pos
		}
	}
}

// findSub resolves a user's sub. The index is built on first use, so that a
// pool never looked up by sub spends no memory on it; the caller holds p.mu
// (for reading or writing).
func (p *pool) findSub(name string) (int32, bool) {
	sub, err := parseUUID(name)
	if err != nil || strings.Count(name, "-") != 4 {
		return 0, false
	}
	p.subMu.Lock()
	defer p.subMu.Unlock()
	if p.subs == nil {
		p.subs = make(map[[16]byte]int32, len(p.users))
		for i := range p.users {
			p.subs[p.users[i].sub] = int32(i)
		}
	}
	i, ok := p.subs[sub]
	return i, ok
}

// indexSub keeps a built sub index up to date; the caller holds p.mu for
// writing.
func (p *pool) indexSub(pos int32) {
	p.subMu.Lock()
	defer p.subMu.Unlock()
	if p.subs != nil {
		p.subs[p.users[pos].sub] = pos
	}
}

// signInName splits the name a new user is created with in a pool with
// UsernameAttributes: it is the user's e-mail address or phone number, and
// the username is generated. Cognito refuses any other name.
func (p *pool) signInName(name string) (email, phone string, err error) {
	switch {
	case p.signInAttr("email") && strings.Contains(name, "@"):
		return name, "", nil
	case p.signInAttr("phone_number") && strings.HasPrefix(name, "+"):
		return "", name, nil
	case p.signInAttr("email") && p.signInAttr("phone_number"):
		return "", "", errorf("InvalidParameterException", "Username should be either an email or a phone number.")
	case p.signInAttr("email"):
		return "", "", errorf("InvalidParameterException", "Username should be an email.")
	default:
		return "", "", errorf("InvalidParameterException", "Username should be a phone number.")
	}
}

// recoveryMedium is how a reset code reaches the user: the first mechanism
// of the pool's AccountRecoverySetting the user has verified ("Cognito sends
// a verification to only one of the specified methods", developer guide,
// Recovering user accounts); mediumNone when none.
func (p *pool) recoveryMedium(u *user) string {
	for _, m := range p.recovery {
		switch {
		case m == RecoveryVerifiedEmail && u.emailAddr() != "" && u.flags&flEmailVerified != 0:
			return mediumEmail
		case m == RecoveryVerifiedPhone && u.phone != "" && u.flags&flPhoneVerified != 0:
			return mediumSMS
		}
	}
	return mediumNone
}

// adminOnlyRecovery reports a pool whose only recovery mechanism is
// admin_only: it has no self-service account recovery, which
// AdminResetUserPassword requires ("To use this API operation, your user
// pool must have self-service account recovery configured", API reference).
func (p *pool) adminOnlyRecovery() bool {
	return len(p.recovery) == 1 && p.recovery[0] == RecoveryAdminOnly
}

// recoverySetting is DescribeUserPool's AccountRecoverySetting; nil for a
// pool made through CreateUserPool without one, which Cognito leaves out.
func (p *pool) recoverySetting() map[string]any {
	if p.recoveryLegacy {
		return nil
	}
	mechs := make([]map[string]any, len(p.recovery))
	for i, m := range p.recovery {
		mechs[i] = map[string]any{"Priority": i + 1, "Name": m}
	}
	return map[string]any{"RecoveryMechanisms": mechs}
}
