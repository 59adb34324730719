package emulator_test

import (
	"strings"
	"testing"

	"cogpass/cognito/policy"
	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

func TestPoolsAndClients(t *testing.T) {
	e := newEnv(t, emulator.Options{})

	created, err := e.api.CreateUserPool(e.ctx, &cip.CreateUserPoolInput{
		PoolName: aws.String("hist"),
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{
			MinimumLength: aws.Int32(12), RequireNumbers: true, PasswordHistorySize: aws.Int32(3), TemporaryPasswordValidityDays: 2,
		}},
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.UserPool.Id)
	if !strings.HasPrefix(id, "us-east-1_") {
		t.Errorf("pool ID %q", id)
	}
	desc, err := e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	pp := desc.UserPool.Policies.PasswordPolicy
	if aws.ToInt32(pp.MinimumLength) != 12 || !pp.RequireNumbers || pp.RequireSymbols || aws.ToInt32(pp.PasswordHistorySize) != 3 || pp.TemporaryPasswordValidityDays != 2 {
		t.Errorf("policy %+v", pp)
	}
	if desc.UserPool.EmailConfiguration.EmailSendingAccount != types.EmailSendingAccountTypeDeveloper {
		t.Errorf("email sending account %q", desc.UserPool.EmailConfiguration.EmailSendingAccount)
	}
	// Through the API, a pool is case-sensitive unless told otherwise.
	if uc := desc.UserPool.UsernameConfiguration; uc == nil || !aws.ToBool(uc.CaseSensitive) {
		t.Errorf("username configuration %+v, want case-sensitive", uc)
	}

	// The default pool: Cognito's default policy, no PasswordHistorySize
	// key at all, COGNITO_DEFAULT e-mail.
	raw := rawCall(t, e.url, "DescribeUserPool", `{"UserPoolId":"`+poolID+`"}`)
	if strings.Contains(raw, "PasswordHistorySize") {
		t.Errorf("PasswordHistorySize present with history off: %s", raw)
	}
	desc, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	pp = desc.UserPool.Policies.PasswordPolicy
	def := policy.Default()
	if aws.ToInt32(pp.MinimumLength) != int32(def.MinimumLength) || !pp.RequireUppercase || !pp.RequireLowercase || !pp.RequireNumbers || !pp.RequireSymbols || pp.TemporaryPasswordValidityDays != 7 {
		t.Errorf("default policy %+v", pp)
	}
	if desc.UserPool.EmailConfiguration.EmailSendingAccount != types.EmailSendingAccountTypeCognitoDefault {
		t.Errorf("email sending account %q", desc.UserPool.EmailConfiguration.EmailSendingAccount)
	}

	cl, err := e.api.CreateUserPoolClient(e.ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(id), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(cl.UserPoolClient.ClientId)) != 26 || aws.ToString(cl.UserPoolClient.UserPoolId) != id {
		t.Errorf("client %+v", cl.UserPoolClient)
	}

	_, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_Nope")})
	wantErr(t, err, "ResourceNotFoundException", "User pool us-east-1_Nope does not exist.")
	_, err = e.api.DescribeUserPool(e.ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String("bad pool")})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = e.api.CreateUserPoolClient(e.ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String("us-east-1_Nope"), ClientName: aws.String("x")})
	wantErr(t, err, "ResourceNotFoundException", "")
}
