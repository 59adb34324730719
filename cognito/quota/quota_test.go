package quota

import "testing"

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec    string
		want    Rates
		wantErr bool
	}{
		{spec: "default", want: Defaults()},
		{spec: "", want: Defaults()},
		{spec: "off", want: Rates{}},
		{spec: "UserAccountRecovery=50", want: with(Defaults(), UserAccountRecovery, 50)},
		{spec: "useraccountrecovery=50, UserRead=off", want: without(with(Defaults(), UserAccountRecovery, 50), UserRead)},
		{spec: "UserUpdate=0", want: without(Defaults(), UserUpdate)},
		{spec: "Nope=5", wantErr: true},
		{spec: "UserUpdate", wantErr: true},
		{spec: "UserUpdate=-1", wantErr: true},
		{spec: "UserUpdate=fast", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSpec(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSpec(%q) error = %v, wantErr %v", tt.spec, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseSpec(%q) = %v, want %v", tt.spec, got, tt.want)
			continue
		}
		for c, v := range tt.want {
			if got[c] != v {
				t.Errorf("ParseSpec(%q)[%s] = %v, want %v", tt.spec, c, got[c], v)
			}
		}
	}
}

func TestEveryOperationHasAKnownCategory(t *testing.T) {
	for name, op := range Operations {
		if _, ok := DefaultRPS[op.Category]; !ok {
			t.Errorf("%s maps to %q, which has no default rate", name, op.Category)
		}
		if op.Cost <= 0 || op.Cost > 1 {
			t.Errorf("%s has cost %v, want (0, 1]", name, op.Cost)
		}
	}
}

func with(r Rates, c Category, v float64) Rates { r[c] = v; return r }
func without(r Rates, c Category) Rates         { delete(r, c); return r }

// TestPasswordOperationsShareUserAccountRecovery: the operations that set,
// reset or change a password draw on one category (Cognito's quota table:
// UserAccountRecovery covers the operations that "recover a user's account
// or change or update a user's password").
func TestPasswordOperationsShareUserAccountRecovery(t *testing.T) {
	for _, name := range []string{"AdminSetUserPassword", "AdminResetUserPassword", "ChangePassword", "ForgotPassword", "ConfirmForgotPassword"} {
		op, ok := Lookup(name)
		if !ok || op.Category != UserAccountRecovery || op.Cost != 1 {
			t.Errorf("%s: %+v (listed: %v), want UserAccountRecovery at cost 1", name, op, ok)
		}
	}
	if got := DefaultRPS[UserAccountRecovery] * DefaultShare; got != 24 {
		t.Errorf("default --rate for a set job = %v, want 24 (80%% of 30/s)", got)
	}
}

// TestDefaultRate: the share of the category's default quota that the
// job, the export and the policy read pace at when no rate is given (the
// --rate and --read-rate defaults in the help).
func TestDefaultRate(t *testing.T) {
	for op, want := range map[string]float64{
		"AdminSetUserPassword":   24, // UserAccountRecovery 30/s
		"AdminResetUserPassword": 24,
		"ChangePassword":         24,
		"AdminGetUser":           96, // UserRead 120/s
		"ListUsers":              24, // UserList 30/s
		"DescribeUserPool":       12, // UserPoolRead 15/s
		"AdminUserGlobalSignOut": 20, // UserUpdate 25/s
		"CreateUserPool":         0,  // not paced
	} {
		if got := DefaultRate(op); got != want {
			t.Errorf("DefaultRate(%s) = %v, want %v", op, got, want)
		}
	}
}
