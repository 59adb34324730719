package emulator

import (
	"time"
)

// Sign-out and token revocation.
//
// AdminUserGlobalSignOut "invalidates the identity, access, and refresh
// tokens that Amazon Cognito issued to a user": afterwards Cognito refuses
// token-authorized operations (ChangePassword here) with "Access Token has
// been revoked", and refresh requests with the user's old refresh tokens
// (API reference, AdminUserGlobalSignOut; botocore cognito-idp
// service-2.json). Its errors in the service model are
// ResourceNotFoundException, InvalidParameterException,
// TooManyRequestsException, NotAuthorizedException, UserNotFoundException
// and InternalErrorException.
//
// Every token the emulator issues carries the user's sign-out generation;
// a sign-out increments it, so every token issued before is refused and
// tokens issued after are not. The generation is 16 bits: at Cognito's
// per-user write limit of ten a second it cannot wrap within a token's
// one-hour life.

// opAdminUserGlobalSignOut signs a user out of every session.
func (s *Server) opAdminUserGlobalSignOut(body []byte) (any, error) {
	return s.writeUser(body, func(u *user) { u.signOuts++ })
}

// SignOuts returns how many times a user has been signed out with
// AdminUserGlobalSignOut (modulo 65536), for tests; false when the pool or
// the user does not exist.
func (s *Server) SignOuts(poolID, username string) (int, bool) {
	p := s.pool(poolID)
	if p == nil {
		return 0, false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	i, ok := p.find(username)
	if !ok {
		return 0, false
	}
	return int(p.users[i].signOuts), true
}

// revoked reports whether a token issued with generation gen has been
// revoked by a later sign-out.
func (u *user) revoked(gen uint16) bool { return gen != u.signOuts }

// refreshLifetime is the default refresh token validity of an app client
// (RefreshTokenValidity 30 days).
const refreshLifetime = 30 * 24 * time.Hour

// refreshToken issues a refresh token: opaque to clients in Cognito (an
// encrypted JWT), signed claims here.
func (s *Server) refreshToken(p *pool, u *user, clientID string) string {
	now := time.Now()
	return s.sign(claims{Sub: formatUUID(u.sub), Iss: s.issuer(p.id), ClientID: clientID, TokenUse: "refresh",
		Username: u.name, Iat: now.Unix(), Exp: now.Add(refreshLifetime).Unix(), Jti: s.requestID(), Gen: u.signOuts})
}

// refreshAuth answers REFRESH_TOKEN_AUTH (and its alias REFRESH_TOKEN):
// new ID and access tokens for a valid refresh token of this client, and
// no new refresh token, as Cognito does without refresh token rotation.
func (s *Server) refreshAuth(c *client, p *pool, params map[string]string) (any, error) {
	tok := params["REFRESH_TOKEN"]
	if tok == "" {
		return nil, errorf("InvalidParameterException", "Missing required parameter REFRESH_TOKEN")
	}
	invalid := errorf("NotAuthorizedException", "Invalid Refresh Token")
	rc, ok := s.verify(tok)
	if !ok || rc.TokenUse != "refresh" || rc.ClientID != c.id || poolOf(rc.Iss) != p.id {
		return nil, invalid
	}
	if time.Now().Unix() >= rc.Exp {
		return nil, errorf("NotAuthorizedException", "Refresh Token has expired")
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	i, ok := p.index[p.key(rc.Username)]
	if !ok || formatUUID(p.users[i].sub) != rc.Sub {
		return nil, invalid
	}
	u := &p.users[i]
	switch {
	case u.revoked(rc.Gen):
		return nil, errorf("NotAuthorizedException", "Refresh Token has been revoked")
	case !u.enabled():
		return nil, errorf("NotAuthorizedException", "User is disabled.")
	}
	res := s.tokens(p, u, c.id)
	res.RefreshToken = ""
	return map[string]any{"ChallengeParameters": map[string]string{}, "AuthenticationResult": res}, nil
}
