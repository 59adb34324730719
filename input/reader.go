package input

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"cogpass/cognito/policy"
)

// Row is one record of the manifest. Fields hold the raw values, also in a
// bad row (Err set) as far as they could be read, so that the report can
// name the user.
type Row struct {
	Line             int               // 1-based physical line where the record starts (CSV header is line 1)
	Username         string            // as written; not normalised
	Password         string            // empty: generate one (set)
	Permanent        *bool             // nil when absent/empty
	ClientMetadata   map[string]string // nil when absent
	AccessToken      string
	PreviousPassword string
	ProposedPassword string
	UserPoolID       string
	// Extra holds the values of the Options.Extra columns (CSV) or keys
	// (JSON Lines) the record has, keyed by their names as Options.Extra
	// spells them; nil when Options.Extra is empty. A CSV cell is its text
	// (with a spreadsheet-formula guard that cogpass wrote removed, as for
	// the username; a column in the header is present in every record, an
	// empty cell as ""); a JSON string is its text, a boolean or a number
	// its JSON text, null is absent.
	Extra map[string]string
	// Err is non-nil for a bad row. Its message is precise, never holds a
	// password or token and does not repeat the line number (Line has it).
	Err error
}

// Options tunes a Reader.
type Options struct {
	// OnUnknownColumns is called with the names of columns (CSV) or keys
	// (JSON Lines) that the manifest has and cogpass does not know, once
	// per name: for CSV once, from NewReader; for JSON Lines whenever a line
	// brings names not seen before. Their values are ignored.
	OnUnknownColumns func(names []string)
	// Extra names further columns (CSV) or keys (JSON Lines) to read into
	// Row.Extra, for files that carry more than a manifest does: the
	// emulator seeds users from an export's status, enabled, email, ...
	// They are matched as the manifest's own columns are (white space
	// trimmed, in any case), are not unknown columns, and may not name a
	// manifest column. NewReader's checks (encoding, header, line numbers)
	// and the row's checks apply as to any manifest.
	Extra []string
	// ShortRecords reads a CSV record with fewer fields than the header as
	// if the missing trailing fields were empty (absent from Row.Extra),
	// instead of refusing it: the
	// emulator's seed file lets a row stop after the username and take the
	// defaults. A manifest refuses such a row (a column lost in an edit must
	// not become an empty password or pool).
	ShortRecords bool
}

// Limits. A real row is well under a kilobyte; the caps keep memory flat
// whatever the input (a binary file, a quote that is never closed).
const (
	// MaxRecordSize caps a CSV record and a JSON line, in bytes.
	MaxRecordSize = 1 << 20
	// MaxUsernameLength is Cognito's limit on the Username field.
	MaxUsernameLength = 128
	// maxUnknownNames bounds the set of unknown key names remembered (a
	// hostile JSON Lines file could invent a new key on every line).
	maxUnknownNames = 256
	// maxUnknownNameLen bounds one remembered/reported unknown name.
	maxUnknownNameLen = 64
)

// Fatal errors of NewReader, for errors.Is.
var (
	ErrEmpty      = errors.New("manifest is empty")
	ErrNotText    = errors.New("manifest is not text")
	ErrNoUsername = errors.New("manifest has no username column")
)

// Messages of bad rows that have no detail.
var (
	errRecordTooLong = errors.New("record is longer than 1 MiB")
	errLineTooLong   = errors.New("line is longer than 1 MiB")
)

// field is a known column/key.
type field int8

const (
	fNone field = iota
	fUsername
	fPassword
	fPermanent
	fClientMetadata
	fAccessToken
	fPreviousPassword
	fProposedPassword
	fUserPoolID
	nFields
)

var fieldNames = [nFields]string{
	fUsername:         "username",
	fPassword:         "password",
	fPermanent:        "permanent",
	fClientMetadata:   "client_metadata",
	fAccessToken:      "access_token",
	fPreviousPassword: "previous_password",
	fProposedPassword: "proposed_password",
	fUserPoolID:       "user_pool_id",
}

// lookupField matches a column or key name, trimmed and case-insensitively,
// without allocating.
func lookupField(name string) field {
	name = strings.TrimSpace(name)
	for f := fUsername; f < nFields; f++ {
		if strings.EqualFold(name, fieldNames[f]) {
			return f
		}
	}
	return fNone
}

// setString sets one of the row's string fields.
func (row *Row) setString(f field, v string) {
	switch f {
	case fUsername:
		row.Username = v
	case fPassword:
		row.Password = v
	case fAccessToken:
		row.AccessToken = v
	case fPreviousPassword:
		row.PreviousPassword = v
	case fProposedPassword:
		row.ProposedPassword = v
	case fUserPoolID:
		row.UserPoolID = v
	}
}

// Reader reads a manifest row by row. It is not safe for concurrent use.
type Reader struct {
	format Format
	opts   Options
	src    *bufio.Reader

	// CSV
	csv     *csv.Reader
	guard   *csvGuard
	cols    []field          // known field of each header column, fNone if unknown
	record  oneRecord        // gocsv's view of the header and the current record
	mapped  []manifestRecord // gocsv's output, one element reused
	userCol int
	extraOf []int // index in opts.Extra of each header column, -1 if none

	// JSON Lines
	lines   lineReader
	pending bool // lines holds a line read by NewReader, not yet returned

	unknownSeen map[string]struct{}
}

var (
	bom      = []byte{0xEF, 0xBB, 0xBF}
	utf16LE  = []byte{0xFF, 0xFE}
	utf16BE  = []byte{0xFE, 0xFF}
	errUTF16 = fmt.Errorf("%w: it is UTF-16 encoded; save it as UTF-8", ErrNotText)
)

// NewReader starts reading a manifest. For CSV it reads the header row. An
// error is fatal: the input is empty, not text, or (CSV) has no username
// column.
func NewReader(r io.Reader, f Format, opts Options) (*Reader, error) {
	return newReader(r, f, opts, MaxRecordSize)
}

func newReader(r io.Reader, f Format, opts Options, maxRecord int) (*Reader, error) {
	if f != FormatCSV && f != FormatJSONL && f != FormatDetect {
		return nil, fmt.Errorf("unknown manifest format %v", f)
	}
	for _, name := range opts.Extra {
		if lookupField(name) != fNone {
			return nil, fmt.Errorf("extra column %s is a manifest column", name)
		}
	}
	rd := &Reader{format: f, opts: opts, src: bufio.NewReaderSize(r, 64<<10)}
	// A UTF-8 BOM (Excel writes one) is dropped; UTF-16 is refused here
	// because every row would otherwise come back as garbage.
	head, err := rd.src.Peek(3)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, bom):
		_, _ = rd.src.Discard(len(bom))
	case bytes.HasPrefix(head, utf16LE), bytes.HasPrefix(head, utf16BE):
		return nil, errUTF16
	}
	if f == FormatDetect {
		f = detectFormat(rd.src)
		rd.format = f
	}
	if f == FormatCSV {
		err = rd.startCSV(maxRecord)
	} else {
		err = rd.startJSONL(maxRecord)
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Next returns the next row, io.EOF after the last one. Any other error is
// fatal (reading the input failed); a bad row comes back with Row.Err set.
func (r *Reader) Next() (Row, error) {
	if r.format == FormatCSV {
		return r.nextCSV()
	}
	return r.nextJSONL()
}

// unknown reports the names not reported before.
func (r *Reader) unknown(names []string) {
	if r.opts.OnUnknownColumns == nil || len(names) == 0 {
		return
	}
	if r.unknownSeen == nil {
		r.unknownSeen = make(map[string]struct{})
	}
	var fresh []string
	for _, n := range names {
		n = shorten(n, maxUnknownNameLen)
		if _, ok := r.unknownSeen[n]; ok || len(r.unknownSeen) >= maxUnknownNames {
			continue
		}
		n = strings.Clone(n) // do not pin the row's memory
		r.unknownSeen[n] = struct{}{}
		fresh = append(fresh, n)
	}
	if len(fresh) > 0 {
		r.opts.OnUnknownColumns(fresh)
	}
}

// extraIndex returns the index in opts.Extra of a column or key name,
// matched as lookupField matches, or -1.
func (r *Reader) extraIndex(name string) int {
	if len(r.opts.Extra) == 0 {
		return -1
	}
	name = strings.TrimSpace(name)
	for i, e := range r.opts.Extra {
		if strings.EqualFold(name, strings.TrimSpace(e)) {
			return i
		}
	}
	return -1
}

// fieldErrs holds a parse error per field, found while mapping a row;
// validate reports the first in column order.
type fieldErrs [nFields]error

// validate checks a mapped row and returns the first problem in column
// order, or nil. hasUsername is false when a JSON line has no username key.
func validate(row *Row, errs *fieldErrs, hasUsername bool) error {
	if errs[fUsername] != nil {
		return errs[fUsername]
	}
	if !hasUsername {
		return errors.New("username is missing")
	}
	if err := checkUsername(row.Username); err != nil {
		return err
	}
	if err := firstErr(errs[fPassword], checkPassword("password", row.Password)); err != nil {
		return err
	}
	if errs[fPermanent] != nil {
		return errs[fPermanent]
	}
	if errs[fClientMetadata] != nil {
		return errs[fClientMetadata]
	}
	if err := firstErr(errs[fAccessToken], checkToken(row.AccessToken)); err != nil {
		return err
	}
	if err := firstErr(errs[fPreviousPassword], checkPassword("previous_password", row.PreviousPassword)); err != nil {
		return err
	}
	if err := firstErr(errs[fProposedPassword], checkPassword("proposed_password", row.ProposedPassword)); err != nil {
		return err
	}
	return firstErr(errs[fUserPoolID], checkPoolID(row.UserPoolID))
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// checkUsername applies Cognito's constraints on Username: 1 to 128
// characters matching [\p{L}\p{M}\p{S}\p{N}\p{P}]+. Catching them here turns
// an API error per row into a precise message before any call.
func checkUsername(u string) error {
	if u == "" {
		return errors.New("username is empty")
	}
	if !utf8.ValidString(u) {
		return errors.New("username is not valid UTF-8")
	}
	// Printable ASCII without space is all letters, digits, punctuation
	// and symbols: the common case needs no Unicode tables.
	ascii := true
	for i := 0; i < len(u); i++ {
		if c := u[i]; c <= ' ' || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		if len(u) > MaxUsernameLength {
			return fmt.Errorf("username is longer than %d characters", MaxUsernameLength)
		}
		return nil
	}
	if utf8.RuneCountInString(u) > MaxUsernameLength {
		return fmt.Errorf("username is longer than %d characters", MaxUsernameLength)
	}
	for _, c := range u {
		switch {
		case unicode.IsControl(c):
			return errors.New("username contains a control character")
		case unicode.IsSpace(c) || unicode.Is(unicode.Z, c):
			return errors.New("username contains white space")
		case !unicode.In(c, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P):
			return fmt.Errorf("username contains the character %U, which Cognito does not accept", c)
		}
	}
	return nil
}

// checkPassword applies the Password field's constraints to a supplied
// password (empty means none supplied). The message names the column and
// never the value.
func checkPassword(name, pw string) error {
	if pw == "" {
		return nil
	}
	// The SDK would replace invalid bytes with U+FFFD and set a password
	// the user does not know.
	if !utf8.ValidString(pw) {
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	err := policy.CheckField(pw)
	if err == nil {
		return nil
	}
	if msg, ok := strings.CutPrefix(err.Error(), "password "); ok {
		return fmt.Errorf("%s %s", name, msg)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// checkToken applies Cognito's pattern for AccessToken, [A-Za-z0-9-_=.]+,
// without echoing the token.
func checkToken(tok string) error {
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '=' || c == '.') {
			return fmt.Errorf("access_token contains a character not allowed in a token at byte %d", i+1)
		}
	}
	return nil
}

// checkPoolID applies Cognito's pattern for UserPoolId (see ValidPoolID).
// A malformed ID would otherwise reach the API and look like an unknown
// pool, which stops the whole job.
func checkPoolID(id string) error {
	if id == "" || ValidPoolID(id) {
		return nil
	}
	return fmt.Errorf("user_pool_id: want an ID like us-east-1_AbCdEf123, got %s", shortQuote(id))
}

// ValidPoolID reports whether id is a user pool ID as the service model
// defines UserPoolIdType (botocore cognito-idp service-2.json): 1 to 55
// characters matching [\w-]+_[0-9a-zA-Z]+ as a whole.
func ValidPoolID(id string) bool {
	region, suffix, ok := cutLast(id, '_')
	valid := ok && len(id) <= 55 && region != "" && suffix != ""
	for i := 0; valid && i < len(region); i++ {
		c := region[i]
		valid = isAlnum(c) || c == '_' || c == '-'
	}
	for i := 0; valid && i < len(suffix); i++ {
		valid = isAlnum(suffix[i])
	}
	return valid
}

// PoolRegion returns the region a user pool ID starts with: Cognito names
// its pools <region>_<id> ("eu-west-1_AbCdEf123"). It returns "" when id is
// not a valid pool ID or its prefix is not a region's name (cognito-local's
// "local_AbCd1234").
func PoolRegion(id string) string {
	if !ValidPoolID(id) {
		return ""
	}
	region, _, _ := strings.Cut(id, "_")
	if !regionName(region) {
		return ""
	}
	return region
}

// regionName reports whether s is shaped like an AWS region's name: a
// partition or area prefix of 2 to 4 letters, one or more words, a number
// (us-east-1, us-gov-west-1, cn-northwest-1, eusc-de-east-1).
func regionName(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) < 2 || len(parts[0]) > 4 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			last := i == len(parts)-1
			if last && !('0' <= c && c <= '9') || !last && !('a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return true
}

func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// parsePermanent reads the permanent column: true/false, also 1/0 and
// yes/no, in any case. Empty means absent.
func parsePermanent(s string) (*bool, error) {
	var v bool
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return nil, nil
	case "true", "1", "yes":
		v = true
	case "false", "0", "no":
		v = false
	default:
		return nil, fmt.Errorf("permanent: want true or false, got %s", shortQuote(s))
	}
	return &v, nil
}

// shortQuote quotes a value for a message, cut to a readable length.
func shortQuote(s string) string {
	const max = 40
	if len(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(shorten(s, max)) + "..."
}

// shorten cuts s to at most n bytes without splitting a UTF-8 sequence.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// HasColumn reports whether a CSV manifest's header has the known column
// name (matched as the reader matches it). known is false for JSON Lines,
// whose keys vary by line.
func (r *Reader) HasColumn(name string) (has, known bool) {
	if r.format != FormatCSV {
		return false, false
	}
	want := lookupField(name)
	if want == fNone {
		return false, true
	}
	for _, f := range r.cols {
		if f == want {
			return true, true
		}
	}
	return false, true
}

// detectFormat is FormatJSONL when the first byte that is not white space is
// '{', else FormatCSV. It looks at most at the reader's buffer (64 KiB) and
// consumes nothing.
func detectFormat(src *bufio.Reader) Format {
	for n := 1; n <= src.Size(); n *= 2 {
		head, err := src.Peek(n)
		for _, c := range head {
			switch c {
			case ' ', '\t', '\r', '\n':
				continue
			case '{':
				return FormatJSONL
			default:
				return FormatCSV
			}
		}
		if err != nil {
			break
		}
	}
	return FormatCSV
}
