package input

import (
	"slices"
	"strings"
	"testing"
)

func TestNearest(t *testing.T) {
	commands := []string{"set", "reset", "change", "export", "policy", "emulator", "completion"}
	for _, tc := range []struct{ in, want string }{
		{"rest", "reset"},
		{"sett", "set"},
		{"chnage", "change"},
		{"exprot", "export"},
		{"emulater", "emulator"},
		{"frobnicate", ""},
		{"list", ""},
		{"", ""},
	} {
		if got := Nearest(tc.in, commands); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMisspeltColumnRefused: a column that is almost a known one is
// refused with a suggestion, in CSV and JSON Lines, while unrelated
// columns (an export's extra ones) are only reported as unknown.
func TestMisspeltColumnRefused(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"username,passwd", `unknown column "passwd": did you mean password?`},
		{"username,pasword", `unknown column "pasword": did you mean password?`},
		{"username,Passowrd", `unknown column "Passowrd": did you mean password?`},
		{"username,pwd", `unknown column "pwd": did you mean password?`},
		{"user_name,password", `manifest has no username column (header: user_name, password): unknown column "user_name": did you mean username?`},
		{"Usrname,password", `did you mean username?`},
		{"username,password,premanent", `unknown column "premanent": did you mean permanent?`},
		{"username,user_pool", `unknown column "user_pool": did you mean user_pool_id?`},
		{"username,accesstoken,previous_password", `unknown column "accesstoken": did you mean access_token?`},
		{"username,new_password,access_token,previous_password", `unknown column "new_password": did you mean proposed_password?`},
	} {
		_, err := NewReader(strings.NewReader(tc.header+"\n"), FormatCSV, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("header %q: error %v, want %q", tc.header, err, tc.want)
		}
	}
	// "Username " is the username column (names are trimmed and matched
	// without case), not a misspelling.
	for _, header := range []string{
		"Username ,password",
		"username,status,enabled,email,email_verified,phone_number_verified,created,last_modified",
		"username,password,name,given_name,family_name,phone_number,sub,tenant,groups,note",
		// The known column is there: the near one is the operator's own.
		"username,password,passwd",
	} {
		var unknown []string
		_, err := NewReader(strings.NewReader(header+"\n"), FormatCSV, Options{OnUnknownColumns: func(n []string) { unknown = n }})
		if err != nil {
			t.Errorf("header %q: %v", header, err)
		}
		_ = unknown
	}

	rows, _, _, err := readAll(t, strings.NewReader(`{"username":"a","passwd":"Xx1!xxxxxx"}`+"\n"+`{"username":"b","email":"b@example.com"}`+"\n"), FormatJSONL)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Err == nil || rows[0].Err.Error() != `unknown key "passwd": did you mean password?` {
		t.Errorf("JSON line with passwd: %v", rows[0].Err)
	}
	if rows[1].Err != nil {
		t.Errorf("JSON line with email: %v", rows[1].Err)
	}

	// The refused key is not also named in the warning about keys that are
	// ignored; an unrelated key on the same line still is.
	var warned []string
	r, err := NewReader(strings.NewReader(`{"username":"a","passwd":"Xx1!xxxxxx","tenant":"t1"}`+"\n"), FormatJSONL,
		Options{OnUnknownColumns: func(n []string) { warned = append(warned, n...) }})
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Err == nil {
		t.Fatalf("row %+v, %v: want the passwd key refused", row, err)
	}
	if !slices.Equal(warned, []string{"tenant"}) {
		t.Errorf("warned of ignored keys %q, want only tenant", warned)
	}
}
