package export_test

import (
	"errors"
	"strings"
	"testing"

	"cogpass/export"
)

// TestBuildSelection (moved from cmd/cogpass, where buildSelection now maps
// these refusals to usage errors; TestExportUsageErrors checks that).
func TestBuildSelection(t *testing.T) {
	tests := []struct {
		name           string
		filter, status string
		expired        bool
		wantFilter     string
		wantStatus     string
		wantErr        string
	}{
		{name: "nothing: every user"},
		{name: "status becomes the server filter", status: "CONFIRMED",
			wantFilter: `cognito:user_status = "CONFIRMED"`, wantStatus: "CONFIRMED"},
		{name: "status is case-insensitive and trimmed", status: " reset_required ",
			wantFilter: `cognito:user_status = "RESET_REQUIRED"`, wantStatus: "RESET_REQUIRED"},
		{name: "filter passes through", filter: `email ^= "alice"`, wantFilter: `email ^= "alice"`},
		{name: "filter is trimmed", filter: `  username = "bob" `, wantFilter: `username = "bob"`},
		{name: "filter and status: the filter goes to the server, the status is checked here",
			filter: `status = "Disabled"`, status: "UNCONFIRMED", wantFilter: `status = "Disabled"`, wantStatus: "UNCONFIRMED"},
		{name: "expired temporary", expired: true,
			wantFilter: `cognito:user_status = "FORCE_CHANGE_PASSWORD"`, wantStatus: "FORCE_CHANGE_PASSWORD"},
		{name: "expired with its own status", expired: true, status: "Force_Change_Password",
			wantFilter: `cognito:user_status = "FORCE_CHANGE_PASSWORD"`, wantStatus: "FORCE_CHANGE_PASSWORD"},
		{name: "expired with a filter", expired: true, filter: `email ^= "a"`,
			wantFilter: `email ^= "a"`, wantStatus: "FORCE_CHANGE_PASSWORD"},
		{name: "expired with another status", expired: true, status: "CONFIRMED", wantErr: "contradicts"},
		{name: "unknown status", status: "FORCE", wantErr: "want one of"},
		{name: "status with a quote", status: `CONFIRMED" or "`, wantErr: "want one of"},
		{name: "every Cognito status is accepted", status: "external_provider",
			wantFilter: `cognito:user_status = "EXTERNAL_PROVIDER"`, wantStatus: "EXTERNAL_PROVIDER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := export.NewSelection(tt.filter, tt.status, tt.expired)
			if tt.wantErr != "" {
				var unknown *export.UnknownStatusError
				var conflict *export.StatusConflictError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &unknown) && !errors.As(err, &conflict) {
					t.Errorf("err %v, want a refused status with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sel.Filter != tt.wantFilter || sel.Status != tt.wantStatus {
				t.Errorf("filter %q status %q, want %q %q", sel.Filter, sel.Status, tt.wantFilter, tt.wantStatus)
			}
		})
	}
}
