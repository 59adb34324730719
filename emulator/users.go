package emulator

// Users: create, read, list, enable and disable, and what every admin
// operation on a user shares (finding the user, its write limit, its
// shape in an answer).

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"cogpass/cognito/policy"
)

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
