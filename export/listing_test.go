package export_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"cogpass/cognito"
	"cogpass/emulator"
	"cogpass/export"
)

// fast keeps retries and pacing out of the tests' time.
var fast = export.ListOptions{UserPoolID: "us-east-1_List", Rate: 1e6,
	Backoff: cognito.Backoff{Base: time.Microsecond, Cap: time.Millisecond, MaxAttempts: 4}}

func apiError(code string, fault smithy.ErrorFault) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " from the fake", Fault: fault}
}

// fakePool serves n users named u0000..., pageSize per page, the token
// being the next user's index; fail (optional) decides per call whether to
// answer with an error instead.
type fakePool struct {
	n     int
	calls atomic.Int64
	fail  func(call int, start int) error
}

func (f *fakePool) ListUsers(ctx context.Context, in *cip.ListUsersInput, _ ...func(*cip.Options)) (*cip.ListUsersOutput, error) {
	call := int(f.calls.Add(1))
	start := 0
	if tok := aws.ToString(in.PaginationToken); tok != "" {
		start, _ = strconv.Atoi(tok)
	}
	if f.fail != nil {
		if err := f.fail(call, start); err != nil {
			return nil, err
		}
	}
	limit := int(aws.ToInt32(in.Limit))
	out := &cip.ListUsersOutput{}
	i := start
	for ; i < f.n && len(out.Users) < limit; i++ {
		out.Users = append(out.Users, types.UserType{Username: aws.String(fmt.Sprintf("u%04d", i)), UserStatus: types.UserStatusTypeConfirmed, Enabled: true})
	}
	if i < f.n {
		out.PaginationToken = aws.String(strconv.Itoa(i))
	}
	return out, nil
}

func collect(t *testing.T, api export.UserLister, opts export.ListOptions) ([]export.User, export.ListStats, error) {
	t.Helper()
	var users []export.User
	st, err := export.ListUsers(t.Context(), api, opts, func(u export.User) error {
		users = append(users, u)
		return nil
	})
	if st.Users != int64(len(users)) {
		t.Errorf("stats say %d users, callback saw %d", st.Users, len(users))
	}
	return users, st, err
}

func TestListUsersAgainstTheEmulator(t *testing.T) {
	srv := emulator.New(emulator.Options{Seed: 1})
	if err := srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_List"}); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC)
	modified := created.Add(36 * time.Hour)
	for i := range 250 {
		su := emulator.SeedUser{Username: fmt.Sprintf("user%04d", i), Created: created, LastModified: modified,
			Email: fmt.Sprintf("user%04d@example.com", i), EmailVerified: i%2 == 0}
		switch i % 5 {
		case 1:
			su.Status = emulator.StatusForceChangePassword
		case 2:
			su.Disabled = true
		case 3:
			su.Phone, su.PhoneVerified = "+15555550100", true
		}
		if err := srv.AddUser("us-east-1_List", su); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	api := cip.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("x", "x", ""),
		HTTPClient: cognito.OwnBody{Client: http.DefaultClient}},
		func(o *cip.Options) { o.BaseEndpoint = aws.String(hs.URL); o.Retryer = aws.NopRetryer{} })

	users, st, err := collect(t, api, fast)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 250 || st.Pages != 5 || st.Calls != 5 {
		t.Fatalf("%d users in %d pages and %d calls, want 250 in 5 and 5", len(users), st.Pages, st.Calls)
	}
	for i, u := range users {
		if want := fmt.Sprintf("user%04d", i); u.Username != want {
			t.Fatalf("user %d is %s, want %s (creation order)", i, u.Username, want)
		}
	}
	want := []export.User{
		{Username: "user0000", Status: "CONFIRMED", Enabled: true, Email: "user0000@example.com", EmailVerified: true, Created: created, LastModified: modified},
		{Username: "user0001", Status: "FORCE_CHANGE_PASSWORD", Enabled: true, Email: "user0001@example.com", Created: created, LastModified: modified},
		{Username: "user0002", Status: "CONFIRMED", Enabled: false, Email: "user0002@example.com", EmailVerified: true, Created: created, LastModified: modified},
		{Username: "user0003", Status: "CONFIRMED", Enabled: true, Email: "user0003@example.com", PhoneNumberVerified: true, Created: created, LastModified: modified},
	}
	for i, w := range want {
		got := users[i]
		got.Created, got.LastModified = got.Created.UTC(), got.LastModified.UTC()
		if got != w {
			t.Errorf("user %d:\n got %+v\nwant %+v", i, got, w)
		}
	}

	opts := fast
	opts.Filter = `cognito:user_status = "FORCE_CHANGE_PASSWORD"`
	users, _, err = collect(t, api, opts)
	if err != nil || len(users) != 50 || users[0].Username != "user0001" || users[49].Username != "user0246" {
		t.Errorf("filtered: %d users, err %v", len(users), err)
	}

	opts.Filter = `nonsense`
	_, _, err = collect(t, api, opts)
	var le *export.ListError
	if !errors.As(err, &le) || le.Page != 1 || le.Code != "InvalidParameterException" || le.Class != cognito.Permanent {
		t.Errorf("bad filter: %v", err)
	}

	opts = fast
	opts.UserPoolID = "us-east-1_Nope"
	_, _, err = collect(t, api, opts)
	if !errors.As(err, &le) || le.Code != "ResourceNotFoundException" || le.Class != cognito.Fatal || le.Attempts != 1 {
		t.Errorf("unknown pool: %v", err)
	}
}

func TestListUsers(t *testing.T) {
	throttled := apiError("TooManyRequestsException", smithy.FaultClient)
	internal := apiError("InternalErrorException", smithy.FaultServer)
	tests := []struct {
		name      string
		n         int
		pageSize  int
		fail      func(call, start int) error
		wantUsers int
		wantCalls int64
		wantErr   string // ListError code; "" = none
		wantPage  int
		wantAfter int64
		wantTries int
	}{
		{name: "empty pool", n: 0, wantCalls: 1},
		{name: "one short page", n: 7, wantUsers: 7, wantCalls: 1},
		{name: "exact pages", n: 180, wantUsers: 180, wantCalls: 3},
		{name: "small pages", n: 10, pageSize: 3, wantUsers: 10, wantCalls: 4},
		{name: "page size over the limit is capped", n: 130, pageSize: 500, wantUsers: 130, wantCalls: 3},
		{name: "throttles and faults are retried", n: 300, wantUsers: 300, wantCalls: 10,
			fail: func(call, _ int) error {
				switch call % 2 {
				case 1:
					if call%4 == 1 {
						return throttled
					}
					return internal
				}
				return nil
			}},
		{name: "a page that keeps failing cuts the listing", n: 300, wantUsers: 120, wantCalls: 2 + 4,
			fail: func(_, start int) error {
				if start >= 120 {
					return internal
				}
				return nil
			},
			wantErr: "InternalErrorException", wantPage: 3, wantAfter: 120, wantTries: 4},
		{name: "a permanent error is not retried", n: 300, wantUsers: 60, wantCalls: 2,
			fail: func(_, start int) error {
				if start == 60 {
					return apiError("InvalidParameterException", smithy.FaultClient)
				}
				return nil
			},
			wantErr: "InvalidParameterException", wantPage: 2, wantAfter: 60, wantTries: 1},
		{name: "a fatal error is not retried", n: 300, wantCalls: 1,
			fail:    func(int, int) error { return apiError("AccessDeniedException", smithy.FaultClient) },
			wantErr: "AccessDeniedException", wantPage: 1, wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakePool{n: tt.n, fail: tt.fail}
			opts := fast
			opts.PageSize = tt.pageSize
			users, st, err := collect(t, api, opts)
			if len(users) != tt.wantUsers || st.Calls != tt.wantCalls || api.calls.Load() != tt.wantCalls {
				t.Errorf("%d users, %d calls (%d seen), want %d users, %d calls", len(users), st.Calls, api.calls.Load(), tt.wantUsers, tt.wantCalls)
			}
			for i, u := range users {
				if want := fmt.Sprintf("u%04d", i); u.Username != want {
					t.Fatalf("user %d is %s, want %s", i, u.Username, want)
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err %v", err)
				}
				return
			}
			var le *export.ListError
			if !errors.As(err, &le) {
				t.Fatalf("err %v, want a *ListError", err)
			}
			if le.Code != tt.wantErr || le.Page != tt.wantPage || le.Users != tt.wantAfter || le.Attempts != tt.wantTries {
				t.Errorf("got code %s page %d after %d users, %d attempts; want %s page %d after %d, %d attempts",
					le.Code, le.Page, le.Users, le.Attempts, tt.wantErr, tt.wantPage, tt.wantAfter, tt.wantTries)
			}
			if msg := le.Error(); !strings.Contains(msg, fmt.Sprintf("page %d, after %d users", tt.wantPage, tt.wantAfter)) || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("message %q does not say where and why", msg)
			}
		})
	}
}

func TestListUsersStats(t *testing.T) {
	throttleFirst := func(call, _ int) error {
		if call == 1 {
			return apiError("TooManyRequestsException", smithy.FaultClient)
		}
		if call == 3 {
			return apiError("InternalErrorException", smithy.FaultServer)
		}
		return nil
	}
	var pages []export.ListStats
	opts := fast
	opts.OnPage = func(st export.ListStats) { pages = append(pages, st) }
	st, err := export.ListUsers(t.Context(), &fakePool{n: 150, fail: throttleFirst}, opts, func(export.User) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := export.ListStats{Pages: 3, Users: 150, Calls: 5, Throttled: 1, Retried: 1}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	if len(pages) != 3 || pages[0].Users != 60 || pages[2].Users != 150 {
		t.Errorf("OnPage saw %+v", pages)
	}
}

func TestListUsersStopsEarly(t *testing.T) {
	api := &fakePool{n: 1000}
	n := 0
	st, err := export.ListUsers(t.Context(), api, fast, func(export.User) error {
		n++
		if n == 70 {
			return export.StopListing
		}
		return nil
	})
	if err != nil || n != 70 || api.calls.Load() != 2 || st.Users != 70 {
		t.Errorf("err %v, %d users, %d calls", err, n, api.calls.Load())
	}

	boom := errors.New("disk full")
	_, err = export.ListUsers(t.Context(), &fakePool{n: 10}, fast, func(export.User) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("callback error: %v", err)
	}
}

func TestListUsersRefusesAPaginationLoop(t *testing.T) {
	loop := export.ListFunc(func(context.Context, *cip.ListUsersInput, ...func(*cip.Options)) (*cip.ListUsersOutput, error) {
		return &cip.ListUsersOutput{Users: []types.UserType{{Username: aws.String("a")}}, PaginationToken: aws.String("same")}, nil
	})
	_, st, err := collect(t, loop, fast)
	var le *export.ListError
	if !errors.As(err, &le) || le.Code != "PaginationLoop" || st.Calls != 2 {
		t.Errorf("err %v after %d calls", err, st.Calls)
	}
}

func TestListUsersCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	api := &fakePool{n: 1000}
	n := 0
	_, err := export.ListUsers(ctx, api, fast, func(export.User) error {
		if n++; n == 60 {
			cancel()
		}
		return nil
	})
	var le *export.ListError
	if !errors.As(err, &le) || le.Code != cognito.CodeCanceled || le.Page != 2 || le.Users != 60 {
		t.Errorf("err %v", err)
	}
}

// TestListUsersRetriedCountsResends: a page that fails every attempt is
// retried attempts-1 times; the last failure is not a cognito.
func TestListUsersRetriedCountsResends(t *testing.T) {
	for _, attempts := range []int{1, 4} {
		opts := fast
		opts.Backoff.MaxAttempts = attempts
		fail := func(int, int) error { return apiError("InternalErrorException", smithy.FaultServer) }
		st, err := export.ListUsers(t.Context(), &fakePool{n: 10, fail: fail}, opts, func(export.User) error { return nil })
		if err == nil {
			t.Fatal("no error")
		}
		if st.Calls != int64(attempts) || st.Retried != int64(attempts-1) {
			t.Errorf("max attempts %d: %d calls, %d retried; want %d and %d", attempts, st.Calls, st.Retried, attempts, attempts-1)
		}
	}
}
