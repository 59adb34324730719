package report

// Spreadsheet formula injection (OWASP "CSV Injection",
// https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet
// opening a CSV file reads a cell that starts with =, +, -, @, a tab or a
// carriage return as a formula. A username or an e-mail address comes from
// whoever signed up, so every CSV cell cogpass writes from the manifest or
// the pool goes through Neutralise, which prefixes such a cell with a single
// quote, as OWASP advises. Generated passwords are the exception: they are
// written exactly (a prefix would change the password), and the generator
// never starts one with these characters.
//
// The prefix is undone by Restore, which the manifest reader applies to the
// username column, so that an export, a report or a secrets file read back
// as a manifest names the same users. To keep that exact for every name, a
// cell that already starts with a quote followed by what Restore would strip
// gets one more quote: Restore(Neutralise(s)) == s for every s.

// formulaStart reports whether a spreadsheet reads a cell starting with c
// as a formula.
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// needsQuote reports whether Neutralise prefixes s.
func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if formulaStart(s[i]) {
			return true
		}
		if s[i] != '\'' {
			return false
		}
	}
	return false
}

// Neutralise returns s with a single quote in front when a spreadsheet
// would read it as a formula (or when it already starts with quotes in
// front of such a character, see Restore); otherwise s itself.
func Neutralise(s string) string {
	if needsQuote(s) {
		return "'" + s
	}
	return s
}

// Restore undoes Neutralise: it drops the leading quote of a cell that
// Neutralise wrote. A cell nobody neutralised comes back unchanged, unless
// it starts with a quote in front of =, +, -, @, a tab or a carriage return
// (a hand-written manifest naming the user '=x is read as =x).
func Restore(s string) string {
	if len(s) > 1 && s[0] == '\'' && needsQuote(s[1:]) {
		return s[1:]
	}
	return s
}
