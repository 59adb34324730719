package cognito

import (
	"slices"
	"testing"
)

// TestUserStatuses: the SDK's statuses, in its order (the order of the
// "want one of" messages), the named ones among them, a fresh slice each
// time.
func TestUserStatuses(t *testing.T) {
	want := []string{"UNCONFIRMED", "CONFIRMED", "ARCHIVED", "COMPROMISED", "UNKNOWN", "RESET_REQUIRED", "FORCE_CHANGE_PASSWORD", "EXTERNAL_PROVIDER"}
	got := UserStatuses()
	if !slices.Equal(got, want) {
		t.Errorf("UserStatuses() = %v, want %v", got, want)
	}
	for _, s := range []string{StatusForceChangePassword, StatusConfirmed, StatusResetRequired, StatusExternalProvider} {
		if !slices.Contains(got, s) {
			t.Errorf("%s is not a user status", s)
		}
	}
	got[0] = "changed"
	if UserStatuses()[0] != "UNCONFIRMED" {
		t.Error("UserStatuses shares its slice with callers")
	}
}
