package input

import (
	"strings"
	"testing"

	"cogpass/report"
)

// TestCSVUsernameRestored: a username that an export, a report or a secrets
// file neutralised against spreadsheet formulas is read back as the name
// Cognito has, so that an export used as a manifest names the same users.
func TestCSVUsernameRestored(t *testing.T) {
	names := []string{"=bob", "+15555550100", "-x", "@admin", "'=quoted", "'plain", "alice"}
	var b strings.Builder
	b.WriteString("username,status\n")
	for _, n := range names {
		b.WriteString(report.Neutralise(n) + ",CONFIRMED\n")
	}
	rows, _, _, err := readAll(t, strings.NewReader(b.String()), FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(names) {
		t.Fatalf("%d rows, want %d", len(rows), len(names))
	}
	for i, n := range names {
		if rows[i].Username != n || rows[i].Err != nil {
			t.Errorf("row %d: username %q (err %v), want %q", i, rows[i].Username, rows[i].Err, n)
		}
	}
}
