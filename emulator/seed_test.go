package emulator_test

import (
	"strings"
	"testing"
	"time"

	"cogpass/emulator"
	"cogpass/input"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestSeedFromManifest seeds users from an export-shaped CSV and JSON Lines
// file (moved here from cmd/cogpass's TestEmulatorSeedManifest, which keeps
// the command's part).
func TestSeedFromManifest(t *testing.T) {
	csvText := "\ufeffusername,password,status,email,email_verified,enabled,last_modified\r\n" +
		"alice,x,,,,,\r\n" +
		"bob,,FORCE_CHANGE_PASSWORD,bob@corp.example,false,false,2024-01-02T03:04:05Z\r\n" +
		"\r\n" +
		"alice,,,,,,\r\n" +
		// The formula guard of `cogpass export` is undone, as a job's
		// manifest reader undoes it.
		"'=eve,,,'=eve@example.com,true,,\r\n"
	jsonlText := `{"username":"carol","status":"RESET_REQUIRED","sub":"0f8fad5b-d9cb-469f-a165-70867728950e"}` + "\n\n" + `{"username":"dave","enabled":false}` + "\n"
	tests := []struct {
		name, text   string
		format       input.Format
		users        map[string]string // username -> status, enabled, email (a manifest with an email column gives no default email)
		added, twice int
	}{
		{"users.csv", csvText, input.FormatCSV, map[string]string{"alice": "CONFIRMED true ", "bob": "FORCE_CHANGE_PASSWORD false bob@corp.example",
			"=eve": "CONFIRMED true =eve@example.com"}, 3, 1},
		{"users.jsonl", jsonlText, input.FormatJSONL, map[string]string{"carol": "RESET_REQUIRED true carol@example.com", "dave": "CONFIRMED false dave@example.com"}, 2, 0},
		{"stdin", jsonlText, input.FormatDetect, map[string]string{"carol": "RESET_REQUIRED true carol@example.com"}, 2, 0},
		// A row may stop after any column, the username's too: the rest
		// take the defaults (docs/emulator.md).
		{"short.csv", "username,status,enabled,email\nshort1,FORCE_CHANGE_PASSWORD\nonly1\n", input.FormatCSV,
			map[string]string{"short1": "FORCE_CHANGE_PASSWORD true short1@example.com", "only1": "CONFIRMED true only1@example.com"}, 2, 0},
		// An email column left empty is no email; one the row stops
		// before is the default.
		{"emptymail.csv", "username,status,email\nnomail,CONFIRMED,\n", input.FormatCSV,
			map[string]string{"nomail": "CONFIRMED true "}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{})
			res, err := e.srv.SeedFromManifest(poolID, tt.name, strings.NewReader(tt.text), tt.format, "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Added != tt.added || res.Repeated != tt.twice {
				t.Errorf("%+v, want %d added, %d repeated", res, tt.added, tt.twice)
			}
			for name, want := range tt.users {
				u, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name)})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				email := ""
				for _, a := range u.UserAttributes {
					if aws.ToString(a.Name) == "email" {
						email = aws.ToString(a.Value)
					}
				}
				got := string(u.UserStatus) + " " + map[bool]string{true: "true", false: "false"}[u.Enabled] + " " + email
				if got != want {
					t.Errorf("%s: %s, want %s", name, got, want)
				}
				if name == "bob" && !u.UserLastModifiedDate.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("bob last modified %v", u.UserLastModifiedDate)
				}
			}
			if tt.format != input.FormatCSV {
				// The sub column seeds the user's sub, which then finds it.
				u, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("0f8fad5b-d9cb-469f-a165-70867728950e")})
				if err != nil || aws.ToString(u.Username) != "carol" {
					t.Errorf("carol by her seeded sub: %v %v", u, err)
				}
			}
		})
	}
}

// TestSeedFromManifestPassword: the seed password is the permanent
// password of the CONFIRMED users only.
func TestSeedFromManifestPassword(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	text := "username,status\nann,\nben,FORCE_CHANGE_PASSWORD\n"
	if _, err := e.srv.SeedFromManifest(poolID, "users.csv", strings.NewReader(text), input.FormatCSV, goodPW); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("ann", goodPW)); err != nil {
		t.Errorf("ann signs in with the seed password: %v", err)
	}
	_, err := e.api.AdminInitiateAuth(e.ctx, adminAuth("ben", goodPW))
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
}

// TestSeedFromManifestErrors: a bad seed file is refused with its name and
// the line at fault.
func TestSeedFromManifestErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       string
	}{
		{"users.csv", "", "users.csv: manifest is empty"},
		{"users.csv", "email,status\nx@example.com,CONFIRMED\n", "users.csv: manifest has no username column (header: email, status)"},
		{"users.csv", "username,email_verified\nann,true\nben,maybe\n", `users.csv:3: email_verified "maybe": want true or false`},
		{"users.csv", "username,enabled\nann,yes\n", `users.csv:2: enabled "yes": want true or false`},
		{"users.csv", "username,created\nann,2024-01-02\n", `users.csv:2: created "2024-01-02": want an RFC 3339 time`},
		{"users.csv", "username,status\nann,\n,CONFIRMED\n", "users.csv:3: username is empty"},
		{"users.csv", "username,status\nann,ON_FIRE\n", `users.csv:2: add user "ann": unknown status "ON_FIRE"`},
		{"users.csv", "username,status\nann,CONFIRMED,extra\n", "users.csv:2: has 3 fields, the header has 2"},
		{"users.jsonl", `{"username":"ann"}` + "\n" + `{"username":"ben",` + "\n", "users.jsonl:2: invalid JSON: the line ends early"},
		{"users.jsonl", `{"status":"CONFIRMED"}` + "\n", "users.jsonl:1: username is missing"},
		{"users.jsonl", `{"username":"ann","sub":"not-a-uuid"}` + "\n", `users.jsonl:1: add user "ann"`},
		{"users.jsonl", `{"username":"ann","enabled":{}}` + "\n", "users.jsonl:1: enabled: want a string, a boolean or a number, got an object"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			e := newEnv(t, emulator.Options{})
			format := input.FormatCSV
			if strings.HasSuffix(tt.name, ".jsonl") {
				format = input.FormatJSONL
			}
			_, err := e.srv.SeedFromManifest(poolID, tt.name, strings.NewReader(tt.text), format, "")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("got %v, want an error starting %q", err, tt.want)
			}
		})
	}
}
