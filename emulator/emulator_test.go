package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"cogpass/emulator"
)

func TestProtocol(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	tests := []struct {
		name, method, target, body string
		wantStatus                 int
		wantType, wantMsg          string
	}{
		{"unknown operation", "POST", "AWSCognitoIdentityProviderService.DeleteUserPool", "{}", 400, "UnknownOperationException", "unknown operation AWSCognitoIdentityProviderService.DeleteUserPool"},
		{"other service", "POST", "DynamoDB_20120810.GetItem", "{}", 400, "UnknownOperationException", "unknown operation DynamoDB_20120810.GetItem"},
		{"no target", "POST", "", "{}", 400, "UnknownOperationException", "unknown operation: missing X-Amz-Target header"},
		{"GET", "GET", "", "", 400, "UnknownOperationException", ""},
		{"malformed JSON", "POST", "AWSCognitoIdentityProviderService.AdminGetUser", `{"UserPoolId":`, 400, "SerializationException", ""},
		{"wrong JSON type", "POST", "AWSCognitoIdentityProviderService.AdminSetUserPassword", `{"UserPoolId":"us-east-1_Test","Username":"a","Password":"Passw0rd!","Permanent":"yes"}`, 400, "SerializationException", ""},
		{"ok", "POST", "AWSCognitoIdentityProviderService.DescribeUserPool", `{"UserPoolId":"us-east-1_Test"}`, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.url+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, raw)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type %q", got)
			}
			if tt.wantType == "" {
				return
			}
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("error body %s: %v", raw, err)
			}
			if body.Type != tt.wantType || resp.Header.Get("X-Amzn-ErrorType") != tt.wantType {
				t.Errorf("__type %q, x-amzn-ErrorType %q, want %q", body.Type, resp.Header.Get("X-Amzn-ErrorType"), tt.wantType)
			}
			if tt.wantMsg != "" && body.Message != tt.wantMsg {
				t.Errorf("message %q, want %q", body.Message, tt.wantMsg)
			}
			if body.Message == "" {
				t.Error("empty message")
			}
		})
	}
}
