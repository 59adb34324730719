package main

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/job"
)

type describeFunc func(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)

func (f describeFunc) DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, opts ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
	return f(ctx, in, opts...)
}

// TestDescribePoolIsPaced: describePool's attempts, retries included, pay a
// pacer at DescribeUserPool's default rate, as the job's calls do, so that
// a throttled pool read does not hammer the UserPoolRead quota the app
// shares. Before cognito.Call it retried on the backoff alone: ten
// throttled attempts with a nanosecond backoff took no time at all.
func TestDescribePoolIsPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		api := describeFunc(func(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
			calls.Add(1)
			return nil, &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Rate exceeded"}
		})
		start := time.Now()
		_, err := describePool(t.Context(), api, "us-east-1_Test", cognito.Backoff{Base: time.Nanosecond, Cap: time.Nanosecond, MaxAttempts: 10})
		took := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "gave up after 10 attempts: Rate exceeded") {
			t.Fatalf("err %v, want the give-up after 10 attempts", err)
		}
		if calls.Load() != 10 {
			t.Errorf("%d calls, want 10", calls.Load())
		}
		// Nine waits at no more than the default rate.
		if least := time.Duration(9 / quota.DefaultRate("DescribeUserPool") * float64(time.Second)); took < least {
			t.Errorf("10 attempts took %v, want at least %v (paced at the default rate)", took, least)
		}
	})
}

// TestDescribePoolAnswers: the pool, a permanent refusal with its hint, an
// interruption.
func TestDescribePoolAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		api := describeFunc(func(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
			n++
			if n == 1 {
				return nil, &smithy.GenericAPIError{Code: "InternalErrorException", Message: "oops"}
			}
			return &cip.DescribeUserPoolOutput{UserPool: &types.UserPoolType{Id: aws.String("us-east-1_Test")}}, nil
		})
		pool, err := describePool(t.Context(), api, "us-east-1_Test", cognito.DefaultBackoff)
		if err != nil || pool == nil || *pool.Id != "us-east-1_Test" {
			t.Errorf("pool %v, err %v; want the pool after one retry", pool, err)
		}
	})
	api := describeFunc(func(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "User pool us-east-1_Gone does not exist."}
	})
	_, err := describePool(t.Context(), api, "us-east-1_Gone", cognito.DefaultBackoff)
	want := "describe user pool us-east-1_Gone: ResourceNotFoundException: User pool us-east-1_Gone does not exist.\nhint: check --user-pool-id and --region"
	if _, ok := err.(*job.Stopped); !ok || exitCode(err, io.Discard) != exitStoppedEarly || err.Error() != want {
		t.Errorf("err %#v\nwant exit %d with %q", err, exitStoppedEarly, want)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := describePool(ctx, api, "us-east-1_Gone", cognito.DefaultBackoff); err == nil || err.Error() != "interrupted" {
		t.Errorf("err %v, want interrupted", err)
	}
}
