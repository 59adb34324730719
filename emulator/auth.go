package emulator

// Sign-in: InitiateAuth and AdminInitiateAuth with the password flows, and
// the NEW_PASSWORD_REQUIRED challenge. Refresh and sign-out are in
// signout.go, the tokens in token.go.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"
)

type authIn struct {
	UserPoolId     string
	ClientId       string
	AuthFlow       string
	AuthParameters map[string]string
	ClientMetadata map[string]string
}

func (s *Server) opAdminInitiateAuth(body []byte) (any, error) {
	var in authIn
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.initiateAuth(in, true)
}

func (s *Server) opInitiateAuth(body []byte) (any, error) {
	var in authIn
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.initiateAuth(in, false)
}

// needClient resolves the client (and, for the admin operations, checks it
// belongs to the named pool).
func (s *Server) needClient(poolID, clientID string, admin bool) (*client, *pool, error) {
	var p *pool
	if admin {
		var err error
		if p, err = s.needPool(poolID); err != nil {
			return nil, nil, err
		}
	}
	if clientID == "" {
		return nil, nil, notNull("clientId")
	}
	c := s.client(clientID)
	if c == nil || (admin && c.poolID != poolID) {
		return nil, nil, errorf("ResourceNotFoundException", "User pool client %s does not exist.", clientID)
	}
	if p == nil {
		p = s.pool(c.poolID)
	}
	return c, p, nil
}

func (c *client) checkSecretHash(username, hash string) error {
	if c.secret == "" {
		return nil
	}
	if hash == "" {
		return errorf("NotAuthorizedException", "Client %s is configured with secret but SECRET_HASH was not received", c.id)
	}
	mac := hmac.New(sha256.New, []byte(c.secret))
	mac.Write([]byte(username + c.id))
	if !hmac.Equal([]byte(hash), []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))) {
		return errorf("NotAuthorizedException", "Unable to verify secret hash for client %s", c.id)
	}
	return nil
}

func (s *Server) initiateAuth(in authIn, admin bool) (any, error) {
	c, p, err := s.needClient(in.UserPoolId, in.ClientId, admin)
	if err != nil {
		return nil, err
	}
	if in.AuthFlow == "" {
		return nil, notNull("authFlow")
	}
	switch {
	case admin && (in.AuthFlow == "ADMIN_USER_PASSWORD_AUTH" || in.AuthFlow == "ADMIN_NO_SRP_AUTH"):
		if !c.adminPassword {
			return nil, errorf("InvalidParameterException", "Auth flow not enabled for this client")
		}
	case !admin && in.AuthFlow == "USER_PASSWORD_AUTH":
		if !c.userPassword {
			return nil, errorf("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
		}
	case in.AuthFlow == "REFRESH_TOKEN_AUTH" || in.AuthFlow == "REFRESH_TOKEN":
		if !slices.Contains(c.flows, "ALLOW_REFRESH_TOKEN_AUTH") {
			return nil, errorf("InvalidParameterException", "Auth flow not enabled for this client")
		}
		return s.refreshAuth(c, p, in.AuthParameters)
	default:
		// SRP and custom flows are not emulated.
		return nil, errorf("InvalidParameterException", "The emulator does not support auth flow %s with %s; use %s", in.AuthFlow,
			map[bool]string{true: "AdminInitiateAuth", false: "InitiateAuth"}[admin],
			map[bool]string{true: "ADMIN_USER_PASSWORD_AUTH", false: "USER_PASSWORD_AUTH"}[admin])
	}
	username, password := in.AuthParameters["USERNAME"], in.AuthParameters["PASSWORD"]
	if username == "" {
		return nil, errorf("InvalidParameterException", "Missing required parameter USERNAME")
	}
	if password == "" {
		return nil, errorf("InvalidParameterException", "Missing required parameter PASSWORD")
	}
	if err := c.checkSecretHash(username, in.AuthParameters["SECRET_HASH"]); err != nil {
		return nil, err
	}
	wrong := errorf("NotAuthorizedException", "Incorrect username or password.")

	p.mu.RLock()
	defer p.mu.RUnlock()
	i, ok := p.find(username)
	if !ok {
		if c.hideUsers {
			return nil, wrong
		}
		return nil, errUserNotFound
	}
	u := &p.users[i]
	switch {
	case u.status == stExternal || u.password == "" || u.password != password:
		return nil, wrong
	case !u.enabled():
		return nil, errorf("NotAuthorizedException", "User is disabled.")
	case u.status == stResetRequired:
		return nil, errorf("PasswordResetRequiredException", "Password reset required for the user")
	case u.status == stUnconfirmed:
		return nil, errorf("UserNotConfirmedException", "User is not confirmed.")
	case u.status == stForceChange:
		validity := time.Duration(p.policy.TemporaryPasswordValidityDays) * 24 * time.Hour
		if time.Since(time.UnixMilli(u.modified)) > validity {
			return nil, errorf("NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")
		}
		now := time.Now()
		session := s.sign(claims{Sub: formatUUID(u.sub), Iss: s.issuer(p.id), PoolID: p.id, ClientID: c.id, TokenUse: "session",
			Challenge: "NEW_PASSWORD_REQUIRED", Username: u.name, Iat: now.Unix(), Exp: now.Add(sessionLifetime).Unix(), Jti: s.requestID()})
		attrs := map[string]string{}
		for _, a := range u.attributes(nil) {
			if a.Name != "sub" {
				attrs[a.Name] = a.Value
			}
		}
		ua, _ := json.Marshal(attrs)
		return map[string]any{
			"ChallengeName": "NEW_PASSWORD_REQUIRED",
			"Session":       session,
			"ChallengeParameters": map[string]string{
				"USER_ID_FOR_SRP":    u.name,
				"requiredAttributes": "[]",
				"userAttributes":     string(ua),
			},
		}, nil
	}
	return map[string]any{"ChallengeParameters": map[string]string{}, "AuthenticationResult": s.tokens(p, u, c.id)}, nil
}

type challengeIn struct {
	UserPoolId         string
	ClientId           string
	ChallengeName      string
	Session            string
	ChallengeResponses map[string]string
}

func (s *Server) opRespondToAuthChallenge(body []byte) (any, error) {
	var in challengeIn
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.respond(in, false)
}

func (s *Server) opAdminRespondToAuthChallenge(body []byte) (any, error) {
	var in challengeIn
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return s.respond(in, true)
}

func (s *Server) respond(in challengeIn, admin bool) (any, error) {
	c, p, err := s.needClient(in.UserPoolId, in.ClientId, admin)
	if err != nil {
		return nil, err
	}
	if in.ChallengeName == "" {
		return nil, notNull("challengeName")
	}
	if in.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		return nil, errorf("InvalidParameterException", "The emulator supports only the NEW_PASSWORD_REQUIRED challenge, not %s", in.ChallengeName)
	}
	username, newPassword := in.ChallengeResponses["USERNAME"], in.ChallengeResponses["NEW_PASSWORD"]
	if username == "" {
		return nil, errorf("InvalidParameterException", "Missing required parameter USERNAME")
	}
	if newPassword == "" {
		return nil, errorf("InvalidParameterException", "Missing required parameter NEW_PASSWORD")
	}
	if err := checkPasswordField("NEW_PASSWORD", newPassword); err != nil {
		return nil, err
	}
	if err := c.checkSecretHash(username, in.ChallengeResponses["SECRET_HASH"]); err != nil {
		return nil, err
	}
	sess, ok := s.verify(in.Session)
	if !ok || sess.TokenUse != "session" || sess.PoolID != p.id || sess.ClientID != c.id || sess.Challenge != in.ChallengeName {
		return nil, errorf("NotAuthorizedException", "Invalid session for the user.")
	}
	if time.Now().Unix() >= sess.Exp {
		return nil, errorf("NotAuthorizedException", "Invalid session for the user, session is expired.")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.find(username)
	if !ok || formatUUID(p.users[i].sub) != sess.Sub {
		return nil, errorf("NotAuthorizedException", "Invalid session for the user.")
	}
	u := &p.users[i]
	if u.status != stForceChange {
		return nil, errorf("NotAuthorizedException", "Invalid session for the user.")
	}
	if !u.enabled() {
		return nil, errorf("NotAuthorizedException", "User is disabled.")
	}
	if err := s.userWrite(u); err != nil {
		return nil, err
	}
	if err := p.setPassword(u, newPassword, stConfirmed); err != nil {
		return nil, err
	}
	return map[string]any{"ChallengeParameters": map[string]string{}, "AuthenticationResult": s.tokens(p, u, c.id)}, nil
}
