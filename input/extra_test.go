package input

import (
	"io"
	"maps"
	"strings"
	"testing"
)

// readExtra reads every row with Options.Extra set and renders each as
// "line|username|error" plus its Extra map.
func readExtra(t *testing.T, in string, f Format, extra ...string) (got []string, extras []map[string]string, unknown []string, err error) {
	t.Helper()
	rd, err := NewReader(strings.NewReader(in), f, Options{Extra: extra, OnUnknownColumns: func(names []string) {
		unknown = append(unknown, names...)
	}})
	if err != nil {
		return nil, nil, unknown, err
	}
	for {
		row, err := rd.Next()
		if err == io.EOF {
			return got, extras, unknown, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, render(row))
		extras = append(extras, row.Extra)
	}
}

// TestReaderExtraCSV: the columns named in Options.Extra come back per
// record, with the reader's BOM, line numbers and formula guard, and are not
// reported as unknown.
func TestReaderExtraCSV(t *testing.T) {
	in := "\ufeffusername, Status ,EMAIL,password,department\r\n" +
		"alice,CONFIRMED,alice@example.com,,sales\r\n" +
		"\r\n" +
		"'=bob,'=FORCE,,,\r\n" +
		"carol,,,\r\n" // a short record: a bad row, its extra values as far as read
	got, extras, unknown, err := readExtra(t, in, FormatCSV, "status", "email", "enabled")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2|alice|", "4|=bob|", "5|carol|has 4 fields, the header has 5"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantExtra := []map[string]string{
		{"status": "CONFIRMED", "email": "alice@example.com"},
		{"status": "=FORCE", "email": ""},
		{"status": "", "email": ""},
	}
	for i := range wantExtra {
		if i >= len(extras) || !maps.Equal(extras[i], wantExtra[i]) {
			t.Errorf("row %d: extra %v, want %v", i, extras[i], wantExtra[i])
		}
	}
	if strings.Join(unknown, ",") != "department" {
		t.Errorf("unknown columns %v, want only department", unknown)
	}
}

func TestReaderExtraJSONL(t *testing.T) {
	in := `{"username":"alice","status":"CONFIRMED","enabled":false,"n":3,"email":null,"other":1}` + "\n" +
		"\n" +
		`{"username":"bob","STATUS":"RESET_REQUIRED","n":1.5e3}` + "\n" +
		`{"username":"carol","status":{"a":1}}` + "\n" +
		`{"username":"dave","status":"A","status":"B"}` + "\n" +
		`{"username":"erin","status":"\ud800"}` + "\n"
	got, extras, unknown, err := readExtra(t, in, FormatJSONL, "status", "enabled", "n", "email")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1|alice|",
		"3|bob|",
		"4|carol|status: want a string, a boolean or a number, got an object",
		"5|dave|key status appears twice",
		"6|erin|status is not valid UTF-8",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantExtra := []map[string]string{
		{"status": "CONFIRMED", "enabled": "false", "n": "3"}, // null is absent
		{"status": "RESET_REQUIRED", "n": "1.5e3"},
	}
	for i := range wantExtra {
		if !maps.Equal(extras[i], wantExtra[i]) {
			t.Errorf("row %d: extra %v, want %v", i, extras[i], wantExtra[i])
		}
	}
	if strings.Join(unknown, ",") != "other" {
		t.Errorf("unknown keys %v, want only other", unknown)
	}
}

func TestReaderExtraRefusals(t *testing.T) {
	if _, _, _, err := readExtra(t, "username,status,Status\nalice,a,b\n", FormatCSV, "status"); err == nil || err.Error() != "manifest header has the column status twice" {
		t.Errorf("a repeated extra column: %v", err)
	}
	if _, _, _, err := readExtra(t, "username\nalice\n", FormatCSV, "Password"); err == nil || !strings.Contains(err.Error(), "extra column Password is a manifest column") {
		t.Errorf("an extra column that is a manifest column: %v", err)
	}
	// Without Options.Extra a row has no Extra map, and the columns are
	// unknown ones.
	got, extras, unknown, err := readExtra(t, "username,status\nalice,CONFIRMED\n", FormatCSV)
	if err != nil || len(got) != 1 || extras[0] != nil || strings.Join(unknown, ",") != "status" {
		t.Errorf("no extra columns asked: %v %v %v %v", got, extras, unknown, err)
	}
}

// TestReaderShortRecords: with ShortRecords a CSV record that stops early
// reads its missing fields as empty (the emulator's seed file); without it
// the record is a bad row, as a manifest's must be.
func TestReaderShortRecords(t *testing.T) {
	in := "username,status,email\nann,FORCE_CHANGE_PASSWORD\nbob\ncarol,CONFIRMED,c@example.com,extra\n"
	for _, tt := range []struct {
		short bool
		want  []string
	}{
		{true, []string{"2|ann|", "3|bob|", "4|carol|has 4 fields, the header has 3"}},
		{false, []string{"2|ann|has 2 fields, the header has 3", "3|bob|has 1 fields, the header has 3", "4|carol|has 4 fields, the header has 3"}},
	} {
		rd, err := NewReader(strings.NewReader(in), FormatCSV, Options{Extra: []string{"status", "email"}, ShortRecords: tt.short})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		var first map[string]string
		for {
			row, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = row.Extra
			}
			got = append(got, render(row))
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("ShortRecords %v: rows\n%s\nwant\n%s", tt.short, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
		if want := map[string]string{"status": "FORCE_CHANGE_PASSWORD"}; tt.short && !maps.Equal(first, want) {
			t.Errorf("short record's extra %v, want %v", first, want)
		}
	}
}
