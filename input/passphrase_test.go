package input

import (
	"strings"
	"testing"
)

// TestPassphrases: Cognito refuses white space only at either end of a
// password (^[\S]+.*[\S]+$) and a line break anywhere; a space inside is a
// special character. The same holds for the password, previous_password and
// proposed_password columns.
func TestPassphrases(t *testing.T) {
	tests := []struct {
		pw      string
		wantErr string // "" for a valid row
	}{
		{"correct horse Battery 9", ""},
		{"has space", ""},
		{"tab\tinside", ""},
		{" leading", "starts or ends with white space"},
		{"trailing ", "starts or ends with white space"},
		{"trailing\t", "starts or ends with white space"},
		{"   ", "starts or ends with white space"},
		{"two\nlines", "contains a line break"},
	}
	for _, col := range []string{"password", "previous_password", "proposed_password"} {
		for _, tt := range tests {
			rows, got, _, err := readAll(t, strings.NewReader(`{"username":"u","`+col+`":`+quoteJSON(tt.pw)+"}\n"), FormatJSONL)
			if err != nil || len(rows) != 1 {
				t.Fatalf("%s %q: %d rows, err %v", col, tt.pw, len(rows), err)
			}
			want := "1|u|"
			if tt.wantErr != "" {
				want += col + " " + tt.wantErr
			}
			if got[0] != want {
				t.Errorf("%s %q: got %q, want %q", col, tt.pw, got[0], want)
			}
			if tt.wantErr == "" {
				var v string
				switch col {
				case "password":
					v = rows[0].Password
				case "previous_password":
					v = rows[0].PreviousPassword
				default:
					v = rows[0].ProposedPassword
				}
				if v != tt.pw {
					t.Errorf("%s: read %q, want %q kept exactly", col, v, tt.pw)
				}
			}
		}
	}
	// CSV: a quoted passphrase is read exactly, spaces included.
	rows, got, _, err := readAll(t, strings.NewReader("username,password\nu,correct horse Battery 9\nv,\" padded \"\n"), FormatCSV)
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, err %v", len(rows), err)
	}
	if got[0] != "2|u|" || rows[0].Password != "correct horse Battery 9" {
		t.Errorf("row 2: %q, password %q", got[0], rows[0].Password)
	}
	if got[1] != "3|v|password starts or ends with white space" {
		t.Errorf("row 3: %q", got[1])
	}
}

func quoteJSON(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
