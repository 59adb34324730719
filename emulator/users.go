package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cogpass/cognito/policy"
)

// operations maps an X-Amz-Target operation name to its handler. Every
// handler decodes its own request and returns a response to encode as JSON,
// or an *apiError.
var operations = map[string]func(*Server, []byte) (any, error){
	"CreateUserPool":              (*Server).opCreateUserPool,
	"DescribeUserPool":            (*Server).opDescribeUserPool,
	"CreateUserPoolClient":        (*Server).opCreateUserPoolClient,
	"AdminCreateUser":             (*Server).opAdminCreateUser,
	"AdminGetUser":                (*Server).opAdminGetUser,
	"ListUsers":                   (*Server).opListUsers,
	"AdminSetUserPassword":        (*Server).opAdminSetUserPassword,
	"AdminResetUserPassword":      (*Server).opAdminResetUserPassword,
	"ChangePassword":              (*Server).opChangePassword,
	"AdminInitiateAuth":           (*Server).opAdminInitiateAuth,
	"InitiateAuth":                (*Server).opInitiateAuth,
	"RespondToAuthChallenge":      (*Server).opRespondToAuthChallenge,
	"AdminRespondToAuthChallenge": (*Server).opAdminRespondToAuthChallenge,
	"AdminDisableUser":            (*Server).opAdminDisableUser,
	"AdminEnableUser":             (*Server).opAdminEnableUser,
	"AdminUserGlobalSignOut":      (*Server).opAdminUserGlobalSignOut,
}

func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errorf("SerializationException", "field %s: cannot read a JSON %s as %s", te.Field, te.Value, te.Type)
		}
		return errorf("SerializationException", "malformed JSON request: %v", err)
	}
	return nil
}

// Validation errors, worded as Cognito words them.

func notNull(field string) *apiError {
	return errorf("InvalidParameterException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

func invalidValue(field, value, constraint string) *apiError {
	return errorf("InvalidParameterException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

// invalidSecret is a validation error that, like Cognito's, does not echo
// the value: it is a password.
func invalidSecret(field, constraint string) *apiError {
	return errorf("InvalidParameterException", "1 validation error detected: Value at '%s' failed to satisfy constraint: %s", field, constraint)
}

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

func (s *Server) needPool(id string) (*pool, error) {
	if id == "" {
		return nil, notNull("userPoolId")
	}
	if !poolIDPattern.MatchString(id) || len(id) > 55 {
		return nil, invalidValue("userPoolId", id, `Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`)
	}
	p := s.pool(id)
	if p == nil {
		return nil, errorf("ResourceNotFoundException", "User pool %s does not exist.", id)
	}
	return p, nil
}

func checkUsernameField(name string) error {
	if name == "" {
		return notNull("username")
	}
	if utf8.RuneCountInString(name) > 128 {
		return invalidValue("username", name, "Member must have length less than or equal to 128")
	}
	if validUsername(name) != nil {
		return invalidValue("username", name, `Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`)
	}
	return nil
}

var errUserNotFound = errorf("UserNotFoundException", "User does not exist.")

// lookup finds a user for an admin operation: by username, alias, sign-in
// attribute or sub (see identity.go); the caller holds p.mu.
func (p *pool) lookup(username string) (*user, error) {
	if err := checkUsernameField(username); err != nil {
		return nil, err
	}
	i, ok := p.find(username)
	if !ok {
		i, ok = p.findSub(username)
	}
	if !ok {
		return nil, errUserNotFound
	}
	return &p.users[i], nil
}

// userWrite takes a token from the user's write bucket (Cognito's fixed
// per-user limit on writes); the caller holds p.mu for writing.
func (s *Server) userWrite(u *user) error {
	if s.perUser == 0 {
		return nil
	}
	now := s.sinceStart()
	burst := float32(math.Max(1, s.perUser))
	if u.wLast == 0 {
		u.wTokens = burst
	} else {
		u.wTokens = min(burst, u.wTokens+float32(now-u.wLast)*float32(s.perUser)/float32(time.Second))
	}
	u.wLast = max(now, 1)
	if u.wTokens < 1 {
		return errorf("TooManyRequestsException", "Too many requests for this user")
	}
	u.wTokens--
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

// Response shapes.

type attribute struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type userType struct {
	Username             string      `json:"Username"`
	Attributes           []attribute `json:"Attributes"`
	UserCreateDate       float64     `json:"UserCreateDate"`
	UserLastModifiedDate float64     `json:"UserLastModifiedDate"`
	Enabled              bool        `json:"Enabled"`
	UserStatus           string      `json:"UserStatus"`
}

func epoch(ms int64) float64 { return float64(ms) / 1000 }

// attributes lists a user's attributes; want (nil = all) selects names.
func (u *user) attributes(want []string) []attribute {
	out := make([]attribute, 0, 5)
	add := func(name, value string) {
		if want == nil || slices.Contains(want, name) {
			out = append(out, attribute{name, value})
		}
	}
	add("sub", formatUUID(u.sub))
	if e := u.emailAddr(); e != "" {
		add("email", e)
		add("email_verified", strconv.FormatBool(u.flags&flEmailVerified != 0))
	}
	if u.phone != "" {
		add("phone_number", u.phone)
		add("phone_number_verified", strconv.FormatBool(u.flags&flPhoneVerified != 0))
	}
	return out
}

func (u *user) toType(want []string) userType {
	return userType{
		Username:             u.name,
		Attributes:           u.attributes(want),
		UserCreateDate:       epoch(u.created),
		UserLastModifiedDate: epoch(u.modified),
		Enabled:              u.enabled(),
		UserStatus:           statuses[u.status],
	}
}

// --- pools and clients ---

type passwordPolicyIn struct {
	MinimumLength                 *int `json:"MinimumLength"`
	RequireUppercase              bool `json:"RequireUppercase"`
	RequireLowercase              bool `json:"RequireLowercase"`
	RequireNumbers                bool `json:"RequireNumbers"`
	RequireSymbols                bool `json:"RequireSymbols"`
	TemporaryPasswordValidityDays *int `json:"TemporaryPasswordValidityDays"`
	PasswordHistorySize           *int `json:"PasswordHistorySize"`
}

func (s *Server) opCreateUserPool(body []byte) (any, error) {
	var in struct {
		PoolName string
		Policies *struct {
			PasswordPolicy *passwordPolicyIn
		}
		UsernameConfiguration  *struct{ CaseSensitive *bool }
		AliasAttributes        []string
		UsernameAttributes     []string
		AccountRecoverySetting *struct{ RecoveryMechanisms []recoveryOptionIn }
		EmailConfiguration     *struct{ EmailSendingAccount string }
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.PoolName == "" {
		return nil, notNull("poolName")
	}
	cfg := PoolConfig{Name: in.PoolName, Policy: policy.Default(), AliasAttributes: in.AliasAttributes, UsernameAttributes: in.UsernameAttributes}
	if pp := in.Policies; pp != nil && pp.PasswordPolicy != nil {
		in := pp.PasswordPolicy
		cfg.Policy = policy.Policy{MinimumLength: 8, RequireUppercase: in.RequireUppercase, RequireLowercase: in.RequireLowercase,
			RequireNumbers: in.RequireNumbers, RequireSymbols: in.RequireSymbols, TemporaryPasswordValidityDays: 7}
		if in.MinimumLength != nil {
			if *in.MinimumLength < 6 || *in.MinimumLength > 99 {
				return nil, invalidValue("policies.passwordPolicy.minimumLength", strconv.Itoa(*in.MinimumLength), "Member must have value between 6 and 99")
			}
			cfg.Policy.MinimumLength = *in.MinimumLength
		}
		if in.TemporaryPasswordValidityDays != nil {
			if *in.TemporaryPasswordValidityDays < 0 || *in.TemporaryPasswordValidityDays > 365 {
				return nil, invalidValue("policies.passwordPolicy.temporaryPasswordValidityDays", strconv.Itoa(*in.TemporaryPasswordValidityDays), "Member must have value between 0 and 365")
			}
			if *in.TemporaryPasswordValidityDays > 0 {
				cfg.Policy.TemporaryPasswordValidityDays = *in.TemporaryPasswordValidityDays
			}
		}
		if in.PasswordHistorySize != nil {
			if *in.PasswordHistorySize < 0 || *in.PasswordHistorySize > 24 {
				return nil, invalidValue("policies.passwordPolicy.passwordHistorySize", strconv.Itoa(*in.PasswordHistorySize), "Member must have value between 0 and 24")
			}
			cfg.Policy.PasswordHistorySize = *in.PasswordHistorySize
		}
	}
	// Through the API, as in Cognito, a pool is case-sensitive unless
	// UsernameConfiguration says otherwise.
	cfg.CaseSensitive = true
	if uc := in.UsernameConfiguration; uc != nil && uc.CaseSensitive != nil {
		cfg.CaseSensitive = *uc.CaseSensitive
	}
	if ec := in.EmailConfiguration; ec != nil {
		cfg.EmailSendingAccount = ec.EmailSendingAccount
	}
	for _, a := range in.AliasAttributes {
		if a != "email" && a != "phone_number" && a != "preferred_username" {
			return nil, invalidValue("aliasAttributes", a, "Member must satisfy enum value set: [phone_number, email, preferred_username]")
		}
	}
	for _, a := range in.UsernameAttributes {
		if a != "email" && a != "phone_number" {
			return nil, invalidValue("usernameAttributes", a, "Member must satisfy enum value set: [phone_number, email]")
		}
	}
	if ars := in.AccountRecoverySetting; ars != nil {
		mechs := slices.Clone(ars.RecoveryMechanisms)
		slices.SortStableFunc(mechs, func(a, b recoveryOptionIn) int { return a.Priority - b.Priority })
		for _, m := range mechs {
			cfg.AccountRecovery = append(cfg.AccountRecovery, m.Name)
		}
		if err := checkRecovery(cfg.AccountRecovery); err != nil {
			return nil, errorf("InvalidParameterException", "%v", err)
		}
	} else {
		cfg.legacyRecovery = true
	}
	p, err := s.createPool(cfg)
	if err != nil {
		return nil, errorf("InvalidParameterException", "%v", err)
	}
	return map[string]any{"UserPool": p.describe()}, nil
}

func (p *pool) describe() map[string]any {
	p.mu.RLock()
	defer p.mu.RUnlock()
	pp := map[string]any{
		"MinimumLength":                 p.policy.MinimumLength,
		"RequireUppercase":              p.policy.RequireUppercase,
		"RequireLowercase":              p.policy.RequireLowercase,
		"RequireNumbers":                p.policy.RequireNumbers,
		"RequireSymbols":                p.policy.RequireSymbols,
		"TemporaryPasswordValidityDays": p.policy.TemporaryPasswordValidityDays,
	}
	// Cognito leaves PasswordHistorySize out when history is off.
	if p.policy.PasswordHistorySize > 0 {
		pp["PasswordHistorySize"] = p.policy.PasswordHistorySize
	}
	out := map[string]any{
		"Id":                          p.id,
		"Name":                        p.name,
		"Arn":                         p.arn,
		"Policies":                    map[string]any{"PasswordPolicy": pp, "SignInPolicy": map[string]any{"AllowedFirstAuthFactors": []string{"PASSWORD"}}},
		"DeletionProtection":          "INACTIVE",
		"LambdaConfig":                map[string]any{},
		"CreationDate":                epoch(p.created.UnixMilli()),
		"LastModifiedDate":            epoch(p.modified.UnixMilli()),
		"MfaConfiguration":            "OFF",
		"EstimatedNumberOfUsers":      len(p.users),
		"EmailConfiguration":          map[string]any{"EmailSendingAccount": p.emailSendingAccount},
		"AdminCreateUserConfig":       map[string]any{"AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": p.policy.TemporaryPasswordValidityDays},
		"UsernameConfiguration":       map[string]any{"CaseSensitive": p.caseSensitive},
		"VerificationMessageTemplate": map[string]any{"DefaultEmailOption": "CONFIRM_WITH_CODE"},
		"UserPoolTier":                "ESSENTIALS",
	}
	if len(p.aliasAttributes) > 0 {
		out["AliasAttributes"] = p.aliasAttributes
	}
	if len(p.usernameAttrs) > 0 {
		out["UsernameAttributes"] = p.usernameAttrs
	}
	if rs := p.recoverySetting(); rs != nil {
		out["AccountRecoverySetting"] = rs
	}
	return out
}

func (s *Server) opDescribeUserPool(body []byte) (any, error) {
	var in struct{ UserPoolId string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, err := s.needPool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	return map[string]any{"UserPool": p.describe()}, nil
}

type client struct {
	id, name, poolID string
	secret           string
	flows            []string
	userPassword     bool // USER_PASSWORD_AUTH allowed
	adminPassword    bool // ADMIN_USER_PASSWORD_AUTH allowed
	hideUsers        bool // PreventUserExistenceErrors ENABLED
	created          time.Time
}

// ClientConfig describes an app client to create with CreateClient.
type ClientConfig struct {
	PoolID string
	ID     string // empty: generated, 26 characters as in Cognito
	Name   string
	// Secret, when set, makes the client require SECRET_HASH.
	Secret string
	// AuthFlows are ExplicitAuthFlows values; nil allows both password
	// flows and refresh (ALLOW_USER_PASSWORD_AUTH,
	// ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH).
	AuthFlows []string
	// PreventUserExistenceErrors answers sign-ins of unknown users with
	// NotAuthorizedException instead of UserNotFoundException.
	PreventUserExistenceErrors bool
}

var clientIDPattern = func(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r == '_' || r == '+' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// CreateClient adds an app client to a pool and returns its ID.
func (s *Server) CreateClient(cfg ClientConfig) (string, error) {
	if s.pool(cfg.PoolID) == nil {
		return "", fmt.Errorf("create client: pool %s does not exist", cfg.PoolID)
	}
	if cfg.AuthFlows == nil {
		cfg.AuthFlows = []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	}
	c, err := s.addClient(cfg)
	if err != nil {
		return "", err
	}
	return c.id, nil
}

func (s *Server) addClient(cfg ClientConfig) (*client, error) {
	if cfg.ID == "" {
		cfg.ID = strings.ToLower(s.randomAlnum(26))
	}
	if !clientIDPattern(cfg.ID) {
		return nil, fmt.Errorf("client ID %q: want 1 to 128 letters, digits, _ or +", cfg.ID)
	}
	if cfg.Name == "" {
		cfg.Name = cfg.ID
	}
	c := &client{id: cfg.ID, name: cfg.Name, poolID: cfg.PoolID, secret: cfg.Secret, flows: cfg.AuthFlows,
		hideUsers: cfg.PreventUserExistenceErrors, created: time.Now()}
	for _, f := range cfg.AuthFlows {
		switch f {
		case "ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH":
			c.userPassword = true
		case "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH":
			c.adminPassword = true
		case "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "ALLOW_USER_AUTH":
		default:
			return nil, fmt.Errorf("unknown explicit auth flow %q", f)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.clients[cfg.ID]; dup {
		return nil, fmt.Errorf("client %s already exists", cfg.ID)
	}
	s.clients[cfg.ID] = c
	return c, nil
}

func (s *Server) opCreateUserPoolClient(body []byte) (any, error) {
	var in struct {
		UserPoolId                 string
		ClientName                 string
		GenerateSecret             bool
		ExplicitAuthFlows          []string
		PreventUserExistenceErrors string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if _, err := s.needPool(in.UserPoolId); err != nil {
		return nil, err
	}
	if in.ClientName == "" {
		return nil, notNull("clientName")
	}
	cfg := ClientConfig{PoolID: in.UserPoolId, Name: in.ClientName, AuthFlows: in.ExplicitAuthFlows,
		PreventUserExistenceErrors: in.PreventUserExistenceErrors == "ENABLED"}
	if cfg.AuthFlows == nil {
		// Cognito's default for a client created without ExplicitAuthFlows:
		// no password flows.
		cfg.AuthFlows = []string{"ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
	}
	if in.GenerateSecret {
		cfg.Secret = strings.ToLower(s.randomAlnum(51))
	}
	c, err := s.addClient(cfg)
	if err != nil {
		return nil, errorf("InvalidParameterException", "%v", err)
	}
	out := map[string]any{
		"UserPoolId": c.poolID, "ClientName": c.name, "ClientId": c.id,
		"ExplicitAuthFlows":               c.flows,
		"CreationDate":                    epoch(c.created.UnixMilli()),
		"LastModifiedDate":                epoch(c.created.UnixMilli()),
		"RefreshTokenValidity":            30,
		"TokenValidityUnits":              map[string]any{"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"},
		"AllowedOAuthFlowsUserPoolClient": false,
		"EnableTokenRevocation":           true,
		"AuthSessionValidity":             3,
		"PreventUserExistenceErrors":      map[bool]string{true: "ENABLED", false: "LEGACY"}[c.hideUsers],
	}
	if c.secret != "" {
		out["ClientSecret"] = c.secret
	}
	return map[string]any{"UserPoolClient": out}, nil
}

// --- users ---

func (s *Server) opAdminCreateUser(body []byte) (any, error) {
	var in struct {
		UserPoolId             string
		Username               string
		UserAttributes         []attribute
		TemporaryPassword      string
		MessageAction          string
		DesiredDeliveryMediums []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, err := s.needPool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if err := checkUsernameField(in.Username); err != nil {
		return nil, err
	}
	switch in.MessageAction {
	case "", "SUPPRESS", "RESEND":
	default:
		return nil, invalidValue("messageAction", in.MessageAction, "Member must satisfy enum value set: [RESEND, SUPPRESS]")
	}
	if in.TemporaryPassword != "" {
		if err := checkPasswordField("temporaryPassword", in.TemporaryPassword); err != nil {
			return nil, err
		}
	}
	u := user{name: in.Username, status: stForceChange}
	for _, a := range in.UserAttributes {
		switch a.Name {
		case "email":
			u.email = a.Value
		case "phone_number":
			u.phone = a.Value
		case "email_verified", "phone_number_verified":
			v, err := strconv.ParseBool(a.Value)
			if err != nil {
				return nil, errorf("InvalidParameterException", "Invalid value for attribute %s: want true or false", a.Name)
			}
			bit := flEmailVerified
			if a.Name == "phone_number_verified" {
				bit = flPhoneVerified
			}
			if v {
				u.flags |= bit
			}
		default:
			// The emulator keeps a fixed, small set of attributes per user.
			return nil, errorf("InvalidParameterException", "Attributes did not conform to the schema: %s: Attribute does not exist in the schema.\n", a.Name)
		}
	}
	pw := in.TemporaryPassword
	if pw == "" {
		g, err := policy.NewGenerator(p.policy, 0)
		if err == nil {
			pw, err = g.Generate()
		}
		if err != nil {
			return nil, err
		}
	} else if err := p.policy.Check(pw); err != nil {
		return nil, errorf("InvalidPasswordException", "%s", err.Error())
	}
	s.randomBytes(u.sub[:])
	u.sub = uuid4(u.sub)
	now := time.Now().UnixMilli()
	u.created, u.modified, u.password = now, now, pw

	p.mu.Lock()
	defer p.mu.Unlock()
	if in.MessageAction == "RESEND" {
		existing, err := p.lookup(in.Username)
		if err != nil {
			return nil, err
		}
		if existing.status != stForceChange {
			return nil, errorf("UnsupportedUserStateException", "Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", in.Username)
		}
		if err := s.sendMessage(p, inviteMedium(existing, in.DesiredDeliveryMediums)); err != nil {
			return nil, err
		}
		existing.password, existing.modified = pw, now
		return map[string]any{"User": existing.toType(nil)}, nil
	}
	if len(p.usernameAttrs) > 0 {
		// The Username given is the sign-in e-mail address or phone
		// number; the username is generated (the user's sub).
		email, phone, err := p.signInName(in.Username)
		if err != nil {
			return nil, err
		}
		if email != "" {
			u.email = email
		}
		if phone != "" {
			u.phone = phone
		}
		if _, dup := p.findAlias(in.Username); dup {
			return nil, errorf("UsernameExistsException", "An account with the given %s already exists.", map[bool]string{true: "email", false: "phone_number"}[email != ""])
		}
		u.name = formatUUID(u.sub)
	}
	if _, dup := p.index[p.key(u.name)]; dup {
		return nil, errorf("UsernameExistsException", "User account already exists")
	}
	if in.MessageAction != "SUPPRESS" {
		if err := s.sendMessage(p, inviteMedium(&u, in.DesiredDeliveryMediums)); err != nil {
			return nil, err
		}
	}
	if p.policy.PasswordHistorySize > 0 {
		u.history = []string{pw}
	}
	p.insert(u)
	return map[string]any{"User": p.users[len(p.users)-1].toType(nil)}, nil
}

type userRef struct {
	UserPoolId string
	Username   string
}

func (s *Server) opAdminGetUser(body []byte) (any, error) {
	var in userRef
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, err := s.needPool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	u, err := p.lookup(in.Username)
	if err != nil {
		return nil, err
	}
	t := u.toType(nil)
	return struct {
		Username             string      `json:"Username"`
		UserAttributes       []attribute `json:"UserAttributes"`
		UserCreateDate       float64     `json:"UserCreateDate"`
		UserLastModifiedDate float64     `json:"UserLastModifiedDate"`
		Enabled              bool        `json:"Enabled"`
		UserStatus           string      `json:"UserStatus"`
	}{t.Username, t.Attributes, t.UserCreateDate, t.UserLastModifiedDate, t.Enabled, t.UserStatus}, nil
}

const maxListLimit = 60

func (s *Server) opListUsers(body []byte) (any, error) {
	var in struct {
		UserPoolId      string
		AttributesToGet []string
		Limit           *int
		PaginationToken string
		Filter          string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, err := s.needPool(in.UserPoolId)
	if err != nil {
		return nil, err
	}
	limit := maxListLimit
	if in.Limit != nil {
		if *in.Limit < 0 || *in.Limit > maxListLimit {
			return nil, invalidValue("limit", strconv.Itoa(*in.Limit), "Member must have value less than or equal to 60")
		}
		if *in.Limit > 0 {
			limit = *in.Limit
		}
	}
	f, err := parseFilter(in.Filter)
	if err != nil {
		return nil, err
	}
	start := 0
	if in.PaginationToken != "" {
		if start, err = decodeToken(in.PaginationToken); err != nil {
			return nil, err
		}
	}
	want := in.AttributesToGet
	if want != nil && len(want) == 0 {
		want = []string{} // an empty list asks for no attributes
	}

	p.mu.RLock()
	defer p.mu.RUnlock()
	if start > len(p.users) {
		return nil, errorf("InvalidParameterException", "Invalid pagination token")
	}
	users := make([]userType, 0, limit)
	i := start
	for ; i < len(p.users) && len(users) < limit; i++ {
		u := &p.users[i]
		if f.match(p, u) {
			users = append(users, u.toType(want))
		}
	}
	out := struct {
		Users           []userType `json:"Users"`
		PaginationToken string     `json:"PaginationToken,omitempty"`
	}{Users: users}
	// A token only when more users remain to be scanned: a filtered listing
	// may still end on an empty page, as Cognito's can.
	if i < len(p.users) {
		out.PaginationToken = encodeToken(i)
	}
	return out, nil
}

// Pagination tokens are the position of the next user to scan, so a page
// costs O(page) however deep it is.
func encodeToken(pos int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("cogpass-emulator:" + strconv.Itoa(pos)))
}

func decodeToken(tok string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		if n, ok := strings.CutPrefix(string(raw), "cogpass-emulator:"); ok {
			if pos, err := strconv.Atoi(n); err == nil && pos >= 0 {
				return pos, nil
			}
		}
	}
	return 0, errorf("InvalidParameterException", "Invalid pagination token")
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

func (s *Server) opAdminDisableUser(body []byte) (any, error) { return s.setEnabled(body, false) }
func (s *Server) opAdminEnableUser(body []byte) (any, error)  { return s.setEnabled(body, true) }

func (s *Server) setEnabled(body []byte, enabled bool) (any, error) {
	return s.writeUser(body, func(u *user) {
		if enabled {
			u.flags &^= flDisabled
		} else {
			u.flags |= flDisabled
		}
		u.modified = time.Now().UnixMilli()
	})
}

// writeUser is an admin write that names a user (UserPoolId, Username)
// and answers nothing: it finds the user (by name, alias or sub), takes a
// token of the user's write limit and applies change under the pool's lock.
func (s *Server) writeUser(body []byte, change func(u *user)) (any, error) {
	var in userRef
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
	change(u)
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

// --- sign-in ---

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

func (s *Server) client(id string) *client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.clients[id]
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
