package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// Tokens are JWT-shaped (header.payload.signature, base64url) so that tools
// that decode Cognito tokens can decode these, but they are signed with
// HS256 and a per-emulator secret: only this emulator instance accepts them.

const (
	tokenLifetime   = time.Hour
	sessionLifetime = 3 * time.Minute // Cognito's auth session lasts 3 minutes
)

type claims struct {
	Sub       string `json:"sub"`
	Iss       string `json:"iss"`
	ClientID  string `json:"client_id,omitempty"`
	Aud       string `json:"aud,omitempty"`
	TokenUse  string `json:"token_use"`
	Scope     string `json:"scope,omitempty"`
	AuthTime  int64  `json:"auth_time"`
	Exp       int64  `json:"exp"`
	Iat       int64  `json:"iat"`
	Jti       string `json:"jti"`
	Username  string `json:"username,omitempty"`
	CogUser   string `json:"cognito:username,omitempty"`
	Email     string `json:"email,omitempty"`
	EmailVer  *bool  `json:"email_verified,omitempty"`
	PoolID    string `json:"pool,omitempty"` // sessions only
	Challenge string `json:"challenge,omitempty"`
	// Gen is the user's sign-out generation when the token was issued
	// (see signout.go).
	Gen uint16 `json:"cogpass:gen,omitempty"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"cogpass-emulator","typ":"JWT"}`))

func (s *Server) sign(c claims) string {
	payload, _ := json.Marshal(c)
	msg := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify checks a token's signature and returns its claims; expiry is the
// caller's to check, since the message differs.
func (s *Server) verify(token string) (claims, bool) {
	var c claims
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return c, false
	}
	msg, sig := token[:i], token[i+1:]
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return c, false
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(msg))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return c, false
	}
	_, payload, ok := strings.Cut(msg, ".")
	if !ok {
		return c, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return c, false
	}
	return c, true
}

func (s *Server) issuer(poolID string) string {
	return "https://cognito-idp." + s.opts.Region + ".amazonaws.com/" + poolID
}

// poolOf returns the pool ID at the end of an issuer URL.
func poolOf(iss string) string {
	return iss[strings.LastIndexByte(iss, '/')+1:]
}

type authResult struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int32  `json:"ExpiresIn"`
	IDToken      string `json:"IdToken"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	TokenType    string `json:"TokenType"`
}

// tokens issues the tokens of a successful sign-in.
func (s *Server) tokens(p *pool, u *user, clientID string) *authResult {
	now := time.Now()
	sub := formatUUID(u.sub)
	base := claims{Sub: sub, Iss: s.issuer(p.id), AuthTime: now.Unix(), Iat: now.Unix(), Exp: now.Add(tokenLifetime).Unix(), Gen: u.signOuts}
	access := base
	access.TokenUse, access.ClientID, access.Scope, access.Username = "access", clientID, "aws.cognito.signin.user.admin", u.name
	access.Jti = s.requestID()
	id := base
	id.TokenUse, id.Aud, id.CogUser = "id", clientID, u.name
	id.Jti = s.requestID()
	if e := u.emailAddr(); e != "" {
		v := u.flags&flEmailVerified != 0
		id.Email, id.EmailVer = e, &v
	}
	return &authResult{
		AccessToken:  s.sign(access),
		ExpiresIn:    int32(tokenLifetime / time.Second),
		IDToken:      s.sign(id),
		RefreshToken: s.refreshToken(p, u, clientID),
		TokenType:    "Bearer",
	}
}
