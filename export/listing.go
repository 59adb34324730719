package export

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"cogpass/cognito"
	"cogpass/cognito/quota"
	"cogpass/pacing"
)

// This file reads the other source of users: the pool itself. `cogpass
// export` turns a listing into a manifest; the listing is paced and retried
// like the job's calls, and it either ends at the pool's last page or fails
// saying where it stopped, never silently short.

// ListPageSize is the most users ListUsers returns per call (Cognito's
// limit): the fewer pages, the fewer calls on the UserList quota.
const ListPageSize = 60

// UserLister is the call a listing makes; *cognitoidentityprovider.Client is
// one, and tests use a fake.
type UserLister interface {
	ListUsers(context.Context, *cip.ListUsersInput, ...func(*cip.Options)) (*cip.ListUsersOutput, error)
}

// ListFunc adapts a plain function to UserLister.
type ListFunc func(context.Context, *cip.ListUsersInput, ...func(*cip.Options)) (*cip.ListUsersOutput, error)

// ListUsers calls f.
func (f ListFunc) ListUsers(ctx context.Context, in *cip.ListUsersInput, opts ...func(*cip.Options)) (*cip.ListUsersOutput, error) {
	return f(ctx, in, opts...)
}

// User is one user as ListUsers describes it, with the attributes an
// export keeps.
type User struct {
	Username            string
	Status              string // CONFIRMED, FORCE_CHANGE_PASSWORD, ...
	Enabled             bool
	Email               string
	EmailVerified       bool // the email_verified attribute; false when absent
	PhoneNumberVerified bool // the phone_number_verified attribute; false when absent
	Created             time.Time
	LastModified        time.Time
}

// ListOptions configure a listing.
type ListOptions struct {
	UserPoolID string
	// Filter is passed to ListUsers as is (Cognito's syntax, one
	// expression); empty lists every user.
	Filter string
	// Rate is the ceiling on ListUsers calls per second; 0 means
	// quota.DefaultShare of the UserList category's default quota, as the
	// job does for its own categories.
	Rate float64
	// Backoff governs retries of throttled and failed pages; zero fields
	// take cognito.DefaultBackoff's.
	Backoff cognito.Backoff
	// PageSize is the Limit of each call; 0 means ListPageSize.
	PageSize int
	// OnRateChange, if set, hears the pacer's rate changes (for the log).
	OnRateChange func(old, new float64)
	// OnPage, if set, is called after each page with the totals so far
	// (for a progress line). It runs on the listing's goroutine.
	OnPage func(ListStats)
}

// ListStats count a listing's work.
type ListStats struct {
	Pages     int   // pages received
	Users     int64 // users received (and passed to the callback)
	Calls     int64 // ListUsers calls, retries included
	Throttled int64 // calls answered with a throttle
	Retried   int64 // calls that failed with a transient fault and were tried again
}

// ListError is a listing cut short: the users before it were delivered, the
// rest were not. It names the page (1-based) that could not be read.
type ListError struct {
	Page     int    // the page that failed
	Users    int64  // users delivered before it
	Code     string // Cognito's error code, or retry's (NetworkError, Canceled, ...)
	Class    cognito.Class
	Attempts int // calls made for that page
	Err      error
}

func (e *ListError) Error() string {
	what := fmt.Sprintf("listing cut short at page %d, after %d users", e.Page, e.Users)
	if e.Attempts > 1 {
		return fmt.Sprintf("%s: gave up after %d attempts: %s", what, e.Attempts, e.message())
	}
	return fmt.Sprintf("%s: %s", what, e.message())
}

func (e *ListError) message() string {
	var api interface{ ErrorMessage() string }
	if errors.As(e.Err, &api) && api.ErrorMessage() != "" {
		if e.Code != "" {
			return e.Code + ": " + api.ErrorMessage()
		}
		return api.ErrorMessage()
	}
	return e.Err.Error()
}

func (e *ListError) Unwrap() error { return e.Err }

// StopListing, returned by a ListUsers callback, ends the listing early and
// without error (a --limit reached).
var StopListing = errors.New("stop listing")

// ListUsers lists the pool's users page by page, in the pool's order, and
// calls fn for each. Pages are read one at a time (a pagination token
// names the next page, so they cannot be read in parallel) and paced on the
// UserList quota; throttles and transient faults are retried with backoff,
// paying the pacer for every attempt, as the job does. A page that cannot
// be read ends the listing with a *ListError; an error from fn ends it with
// that error (StopListing: with none). Memory holds one page.
func ListUsers(ctx context.Context, api UserLister, opts ListOptions, fn func(User) error) (ListStats, error) {
	var st ListStats
	rate := opts.Rate
	if rate <= 0 {
		rate = quota.DefaultRate("ListUsers")
	}
	pacer := pacing.NewController(rate, pacing.Options{OnChange: opts.OnRateChange})
	backoff := opts.Backoff.WithDefaults()
	size := opts.PageSize
	if size <= 0 || size > ListPageSize {
		size = ListPageSize
	}
	in := &cip.ListUsersInput{UserPoolId: aws.String(opts.UserPoolID), Limit: aws.Int32(int32(size))}
	if opts.Filter != "" {
		in.Filter = aws.String(opts.Filter)
	}
	for {
		out, err := listPage(ctx, api, in, pacer, backoff, &st)
		if err != nil {
			return st, err
		}
		st.Pages++
		for i := range out.Users {
			st.Users++
			if err := fn(userOf(&out.Users[i])); err != nil {
				if errors.Is(err, StopListing) {
					return st, nil
				}
				return st, err
			}
		}
		if opts.OnPage != nil {
			opts.OnPage(st)
		}
		next := aws.ToString(out.PaginationToken)
		if next == "" {
			return st, nil
		}
		// A server that hands back the token it was given would loop
		// forever; a listing that never ends is as wrong as one cut short.
		if next == aws.ToString(in.PaginationToken) {
			return st, &ListError{Page: st.Pages + 1, Users: st.Users, Code: "PaginationLoop", Class: cognito.Fatal,
				Err: errors.New("ListUsers returned the same pagination token twice")}
		}
		in.PaginationToken = aws.String(next)
	}
}

// listPage reads one page with cognito.Call, the job's own rules: every
// attempt waits for the pacer, throttles and transient faults are retried
// with backoff, anything else ends the listing. ListUsers answers only
// InternalErrorException, InvalidParameterException,
// NotAuthorizedException, ResourceNotFoundException and
// TooManyRequestsException (the API reference's errors, as the SDK's
// ListUsersError enumerates them): no Lambda trigger runs, so the job's
// pool-level class never comes up here.
func listPage(ctx context.Context, api UserLister, in *cip.ListUsersInput, pacer *pacing.Controller, backoff cognito.Backoff, st *ListStats) (*cip.ListUsersOutput, error) {
	var out *cip.ListUsersOutput
	res := cognito.Call{
		Pacer:   pacer,
		Backoff: backoff,
		Attempt: func() func(error, cognito.Class, string, time.Duration) {
			st.Calls++
			return nil
		},
		Throttled: func() { st.Throttled++ },
		Retried:   func() { st.Retried++ }, // only when the page is really asked for again
	}.Do(ctx, func(ctx context.Context) error {
		// The input is reused: the SDK does not modify it, and the
		// pagination token must be resent unchanged on a retry.
		var err error
		out, err = api.ListUsers(ctx, in)
		return err
	})
	if res.Err != nil {
		return nil, &ListError{Page: st.Pages + 1, Users: st.Users, Code: res.Code, Class: res.Class, Attempts: res.Attempts, Err: res.Err}
	}
	return out, nil
}

// userOf maps the SDK's user to ours. Cognito sends the *_verified
// attributes as the strings "true" and "false".
func userOf(u *types.UserType) User {
	out := User{
		Username:     aws.ToString(u.Username),
		Status:       string(u.UserStatus),
		Enabled:      u.Enabled,
		Created:      aws.ToTime(u.UserCreateDate),
		LastModified: aws.ToTime(u.UserLastModifiedDate),
	}
	for _, a := range u.Attributes {
		switch aws.ToString(a.Name) {
		case "email":
			out.Email = aws.ToString(a.Value)
		case "email_verified":
			out.EmailVerified = aws.ToString(a.Value) == "true"
		case "phone_number_verified":
			out.PhoneNumberVerified = aws.ToString(a.Value) == "true"
		}
	}
	return out
}
