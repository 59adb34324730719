package cognito

import "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

// The user statuses cogpass's commands leave users in or look for, as the
// SDK names them (types.UserStatusType).
const (
	StatusForceChangePassword = string(types.UserStatusTypeForceChangePassword)
	StatusConfirmed           = string(types.UserStatusTypeConfirmed)
	StatusResetRequired       = string(types.UserStatusTypeResetRequired)
	StatusExternalProvider    = string(types.UserStatusTypeExternalProvider)
)

// UserStatuses are every user status Cognito knows (the SDK's
// UserStatusType values, in its order), in a new slice: what a --status or
// --skip-status may name, and what completion offers.
func UserStatuses() []string {
	values := types.UserStatusType("").Values()
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}
