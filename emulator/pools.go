package emulator

// Pools and app clients: CreateUserPool, DescribeUserPool,
// CreateUserPoolClient and the Go API's CreateClient.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cogpass/cognito/policy"
)

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

func (s *Server) client(id string) *client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.clients[id]
}
