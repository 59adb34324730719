package emulator

// Passwords: AdminSetUserPassword, AdminResetUserPassword, ChangePassword,
// and the field, policy and history checks they share.

import (
	"slices"
	"time"
	"unicode/utf8"

	"cogpass/cognito/policy"
)

func checkPasswordField(field, pw string) error {
	if pw == "" {
		return notNull(field)
	}
	if policy.CheckField(pw) != nil {
		if utf8.RuneCountInString(pw) > policy.MaxLength {
			return invalidSecret(field, "Member must have length less than or equal to 256")
		}
		// Cognito's own words for a password with white space at either
		// end (an inner space is a special character; see policy.CheckField).
		return invalidSecret(field, `Member must satisfy regular expression pattern: ^[\S]+.*[\S]+$`)
	}
	return nil
}

// setPassword checks the policy and history and sets a password; the caller
// holds p.mu for writing and has checked the field constraints.
func (p *pool) setPassword(u *user, pw string, status uint8) error {
	if err := p.policy.Check(pw); err != nil {
		return errorf("InvalidPasswordException", "%s", err.Error())
	}
	if n := p.policy.PasswordHistorySize; n > 0 {
		if slices.Contains(u.history, pw) {
			return errorf("PasswordHistoryPolicyViolationException", "The password history policy was violated: the password was used recently.")
		}
		u.history = append(u.history, pw)
		if len(u.history) > n {
			u.history = slices.Delete(u.history, 0, len(u.history)-n)
		}
	}
	u.password = pw
	u.status = status
	u.modified = time.Now().UnixMilli()
	return nil
}

func (s *Server) opAdminSetUserPassword(body []byte) (any, error) {
	var in struct {
		UserPoolId string
		Username   string
		Password   string
		Permanent  bool
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkPasswordField("password", in.Password); err != nil {
		return nil, err
	}
	p, err := s.needPool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, err := p.lookup(in.Username)
	if err != nil {
		return nil, err
	}
	if err := s.userWrite(u); err != nil {
		return nil, err
	}
	status := stForceChange
	if in.Permanent || u.status == stExternal {
		// "When you set a password, the federated user's status changes
		// from EXTERNAL_PROVIDER to CONFIRMED" (API reference,
		// AdminSetUserPassword).
		status = stConfirmed
	}
	if err := p.setPassword(u, in.Password, status); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (s *Server) opAdminResetUserPassword(body []byte) (any, error) {
	var in struct {
		UserPoolId     string
		Username       string
		ClientMetadata map[string]string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, err := s.needPool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, err := p.lookup(in.Username)
	if err != nil {
		return nil, err
	}
	if err := s.userWrite(u); err != nil {
		return nil, err
	}
	switch {
	case p.adminOnlyRecovery():
		// The pool has no self-service account recovery, which this
		// operation requires (API reference). Cognito's answer here is not
		// documented; this is its answer to ForgotPassword in such a pool
		// (as moto implements it, getmoto/moto#4469).
		return nil, errorf("NotAuthorizedException", "Contact administrator to reset password.")
	case !u.enabled():
		return nil, errorf("NotAuthorizedException", "User is disabled.")
	case u.status == stForceChange || u.status == stExternal || u.status == stUnconfirmed:
		return nil, errorf("NotAuthorizedException", "User password cannot be reset in the current state.")
	case !u.hasVerifiedContact() || p.recoveryMedium(u) == mediumNone:
		return nil, errorf("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number")
	}
	if err := s.sendMessage(p, p.recoveryMedium(u)); err != nil {
		return nil, err
	}
	u.status = stResetRequired
	u.modified = time.Now().UnixMilli()
	return struct{}{}, nil
}

func (s *Server) opChangePassword(body []byte) (any, error) {
	var in struct {
		AccessToken      string
		PreviousPassword string
		ProposedPassword string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.AccessToken == "" {
		return nil, notNull("accessToken")
	}
	// PreviousPassword is optional: "Required if the user has a password"
	// (service-2.json, ChangePasswordRequest).
	if in.PreviousPassword != "" {
		if err := checkPasswordField("previousPassword", in.PreviousPassword); err != nil {
			return nil, err
		}
	}
	if err := checkPasswordField("proposedPassword", in.ProposedPassword); err != nil {
		return nil, err
	}
	c, ok := s.verify(in.AccessToken)
	if !ok || c.TokenUse != "access" {
		return nil, errorf("NotAuthorizedException", "Invalid Access Token")
	}
	if time.Now().Unix() >= c.Exp {
		return nil, errorf("NotAuthorizedException", "Access Token has expired")
	}
	p := s.pool(poolOf(c.Iss))
	if p == nil {
		return nil, errorf("NotAuthorizedException", "Invalid Access Token")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.index[p.key(c.Username)]
	if !ok || formatUUID(p.users[i].sub) != c.Sub {
		return nil, errorf("NotAuthorizedException", "Invalid Access Token")
	}
	u := &p.users[i]
	if u.revoked(c.Gen) {
		return nil, errorf("NotAuthorizedException", "Access Token has been revoked")
	}
	if err := s.userWrite(u); err != nil {
		return nil, err
	}
	switch {
	case !u.enabled():
		return nil, errorf("NotAuthorizedException", "User is disabled.")
	case u.status == stResetRequired:
		return nil, errorf("PasswordResetRequiredException", "Password reset required for the user")
	case u.password != in.PreviousPassword:
		// A wrong previous password, none for a user who has one, or one
		// for a user who has none.
		return nil, errorf("NotAuthorizedException", "Incorrect username or password.")
	}
	if err := p.setPassword(u, in.ProposedPassword, stConfirmed); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}
