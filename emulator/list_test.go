package emulator_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

func newHTTPServer(t *testing.T, srv *emulator.Server) string {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs.URL
}

func secretHash(secret, user, client string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(user + client))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// listAll pages through ListUsers and returns the usernames in order.
func listAll(t *testing.T, e *env, filter string, limit int32) []string {
	t.Helper()
	var names []string
	var token *string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		in := &cip.ListUsersInput{UserPoolId: aws.String(poolID), PaginationToken: token}
		if filter != "" {
			in.Filter = aws.String(filter)
		}
		if limit > 0 {
			in.Limit = aws.Int32(limit)
		}
		out, err := e.api.ListUsers(e.ctx, in)
		if err != nil {
			t.Fatalf("ListUsers %q: %v", filter, err)
		}
		if limit > 0 && len(out.Users) > int(limit) {
			t.Fatalf("page of %d users, limit %d", len(out.Users), limit)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.Username))
		}
		if out.PaginationToken == nil {
			return names
		}
		token = out.PaginationToken
	}
}

func TestListUsers(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	if err := e.srv.SeedUsers(poolID, 130); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	e.add(t, emulator.SeedUser{Username: "Zed", Status: "FORCE_CHANGE_PASSWORD", Email: "zed@corp.example", Phone: "+15555550100", Sub: "0b7e1a4c-1111-4222-8333-444455556666", LastModified: old, Created: old})
	e.add(t, emulator.SeedUser{Username: "fed_1", Status: "EXTERNAL_PROVIDER", Disabled: true})
	e.add(t, emulator.SeedUser{Username: "quote\"d", Status: "RESET_REQUIRED"})

	all := listAll(t, e, "", 0)
	if len(all) != 133 || all[0] != "user000001" || all[129] != "user000130" || all[130] != "Zed" {
		t.Fatalf("listing: %d users, %v ... ", len(all), all[:3])
	}
	for _, limit := range []int32{1, 7, 60} {
		if got := listAll(t, e, "", limit); fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("limit %d: a different listing", limit)
		}
	}

	tests := []struct {
		filter string
		want   string // first names, or the count
		count  int
	}{
		{`username = "user000042"`, "[user000042]", 1},
		{`username = "ZED"`, "[Zed]", 1}, // case-insensitive pool
		{`username ^= "user00001"`, "[user000010 user000011 user000012 user000013 user000014 user000015 user000016 user000017 user000018 user000019]", 10},
		{`email = "user000007@example.com"`, "[user000007]", 1},
		{`email ^= "zed@"`, "[Zed]", 1},
		{`phone_number = "+15555550100"`, "[Zed]", 1},
		{`cognito:user_status = "FORCE_CHANGE_PASSWORD"`, "[Zed]", 1},
		{`cognito:user_status = "confirmed"`, "", 130},
		{`cognito:user_status = "EXTERNAL_PROVIDER"`, "[fed_1]", 1},
		{`status = "Disabled"`, "[fed_1]", 1},
		{`status = "Enabled"`, "", 132},
		{`sub = "0b7e1a4c-1111-4222-8333-444455556666"`, "[Zed]", 1},
		{`username = "quote\"d"`, `[quote"d]`, 1},
		{`given_name = "x"`, "[]", 0},
		{`username="user000001"`, "[user000001]", 1},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			got := listAll(t, e, tt.filter, 25)
			if len(got) != tt.count {
				t.Errorf("%d users, want %d", len(got), tt.count)
			}
			if tt.want != "" && fmt.Sprint(got) != tt.want {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}

	out, err := e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID), Filter: aws.String(`username = "Zed"`)})
	if err != nil || len(out.Users) != 1 {
		t.Fatalf("Zed: %v %v", out, err)
	}
	zed := out.Users[0]
	if !zed.UserLastModifiedDate.Equal(old) || !zed.UserCreateDate.Equal(old) || string(zed.UserStatus) != "FORCE_CHANGE_PASSWORD" || !zed.Enabled || len(zed.Attributes) != 5 {
		t.Errorf("Zed %+v", zed)
	}
	out, err = e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID), Limit: aws.Int32(2), AttributesToGet: []string{"email"}})
	if err != nil || len(out.Users) != 2 || len(out.Users[0].Attributes) != 1 || aws.ToString(out.Users[0].Attributes[0].Name) != "email" {
		t.Errorf("AttributesToGet: %+v %v", out, err)
	}

	errs := []struct {
		name string
		in   cip.ListUsersInput
		code string
	}{
		{"limit 61", cip.ListUsersInput{Limit: aws.Int32(61)}, "InvalidParameterException"},
		{"bad filter", cip.ListUsersInput{Filter: aws.String(`username == user`)}, "InvalidParameterException"},
		{"unquoted", cip.ListUsersInput{Filter: aws.String(`username = user`)}, "InvalidParameterException"},
		{"unknown attribute", cip.ListUsersInput{Filter: aws.String(`shoe_size = "9"`)}, "InvalidParameterException"},
		{"bad token", cip.ListUsersInput{PaginationToken: aws.String("garbage")}, "InvalidParameterException"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.UserPoolId = aws.String(poolID)
			_, err := e.api.ListUsers(e.ctx, &tt.in)
			wantErr(t, err, tt.code, "")
		})
	}
	_, err = e.api.ListUsers(e.ctx, &cip.ListUsersInput{UserPoolId: aws.String("us-east-1_Nope")})
	wantErr(t, err, "ResourceNotFoundException", "")
}

func TestSeedUsers(t *testing.T) {
	srv := emulator.New(emulator.Options{})
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SeedUsers(poolID, 3); err != nil {
		t.Fatal(err)
	}
	if err := srv.SeedUsers(poolID, 3); err == nil {
		t.Error("seeding the same names twice succeeded")
	}
	if err := srv.SeedUsers("us-east-1_Nope", 3); err == nil {
		t.Error("seeding a missing pool succeeded")
	}
	e := startEnv(t, srv)
	got, err := e.api.AdminGetUser(e.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("user000003")})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for _, a := range got.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if string(got.UserStatus) != "CONFIRMED" || !got.Enabled || attrs["email"] != "user000003@example.com" || attrs["email_verified"] != "true" {
		t.Errorf("seeded user %+v %v", got, attrs)
	}

	// Wider names when the count needs more than six digits.
	if testing.Short() {
		return
	}
	big := emulator.New(emulator.Options{})
	_ = big.CreatePool(emulator.PoolConfig{ID: poolID})
	if err := big.SeedUsers(poolID, 1_000_000); err != nil {
		t.Fatal(err)
	}
	be := startEnv(t, big)
	for _, name := range []string{"user0000001", "user1000000"} {
		if _, err := be.api.AdminGetUser(be.ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(name)}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A page deep in a million users is as cheap as the first.
	out, err := be.api.ListUsers(be.ctx, &cip.ListUsersInput{UserPoolId: aws.String(poolID), Filter: aws.String(`username = "user1000000"`)})
	if err != nil || len(out.Users) != 1 {
		t.Errorf("filter in a million: %v %v", out, err)
	}
}
