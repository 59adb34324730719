package export

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"cogpass/cognito"
)

// Selection is what an export keeps of the listing.
type Selection struct {
	// Filter goes to ListUsers (one expression: Cognito takes no more).
	Filter string
	// Status, when set, is checked here too: it is the whole selection
	// when the caller's filter took the server's one slot, and a cheap
	// second check otherwise.
	Status string
	// ExpiredBefore, when set, keeps FORCE_CHANGE_PASSWORD users last
	// modified before it (the caller knows the pool's validity).
	ExpiredBefore time.Time
}

// UnknownStatusError is a status that is none of cognito.UserStatuses.
type UnknownStatusError struct{ Status string }

func (e *UnknownStatusError) Error() string {
	return fmt.Sprintf("user status %q: want one of %s", e.Status, strings.Join(cognito.UserStatuses(), ", "))
}

// StatusConflictError is a selection of expired temporary passwords, which
// are FORCE_CHANGE_PASSWORD users', together with another status.
type StatusConflictError struct{ Status string }

func (e *StatusConflictError) Error() string {
	return fmt.Sprintf("expired temporary passwords select %s users; status %s contradicts it", cognito.StatusForceChangePassword, e.Status)
}

// NewSelection turns a filter, a status and whether only expired temporary
// passwords are wanted into the server's filter and the checks made here.
// ListUsers takes one filter expression, so when a filter is given it goes
// to the server and the status is checked on what it lists: the result is
// the intersection asked for, at the cost of listing everything the filter
// matches. The status is matched case-insensitively; an unknown one is an
// *UnknownStatusError, a status other than FORCE_CHANGE_PASSWORD with
// expiredTemporary a *StatusConflictError. ExpiredBefore is left for the
// caller, who reads the pool's validity.
func NewSelection(filter, status string, expiredTemporary bool) (Selection, error) {
	var sel Selection
	filter = strings.TrimSpace(filter)
	if status != "" {
		s := strings.ToUpper(strings.TrimSpace(status))
		if !slices.Contains(cognito.UserStatuses(), s) {
			return sel, &UnknownStatusError{Status: status}
		}
		sel.Status = s
	}
	if expiredTemporary {
		if sel.Status != "" && sel.Status != cognito.StatusForceChangePassword {
			return sel, &StatusConflictError{Status: sel.Status}
		}
		sel.Status = cognito.StatusForceChangePassword
	}
	switch {
	case filter != "":
		sel.Filter = filter
	case sel.Status != "":
		// The status is one of Cognito's names: nothing to escape.
		sel.Filter = `cognito:user_status = "` + sel.Status + `"`
	}
	return sel, nil
}

// Keep says whether a listed user is in the selection.
func (s Selection) Keep(u User) bool {
	if s.Status != "" && !strings.EqualFold(u.Status, s.Status) {
		return false
	}
	if !s.ExpiredBefore.IsZero() && !u.LastModified.Before(s.ExpiredBefore) {
		return false
	}
	return true
}
