package main

import (
	"strconv"

	"cogpass/input"
)

// usePoolRegion checks a --user-pool-id before any call and takes the
// client's region from it. A user pool ID starts with the pool's region
// ("eu-west-1_AbCdEf123"; the service model's UserPoolIdType is
// [\w-]+_[0-9a-zA-Z]+), and a pool answers only in that region:
//   - an ID that does not match the pattern is refused here, in one line
//     with a hint, rather than with the SDK's raw constraint message;
//   - without --region the region is the pool's, whatever AWS_REGION or the
//     profile say (they name a default, and the pool is elsewhere);
//   - a --region that differs from the pool's is refused (exit 2), since
//     every call would answer ResourceNotFoundException.
//
// An ID whose prefix is not a region's name (cognito-local's
// "local_AbCd1234") leaves the region as the flags and environment give it.
func (a *awsFlags) usePoolRegion(flagName, poolID string) error {
	if poolID == "" {
		return nil
	}
	if !input.ValidPoolID(poolID) {
		return usageError("%s %s is not a user pool ID\nhint: a user pool ID is the pool's region, an underscore and letters and digits, e.g. eu-west-1_AbCdEf123 (the console's \"User pool ID\")", flagName, quoteShort(poolID))
	}
	region := input.PoolRegion(poolID)
	switch {
	case region == "":
		return nil
	case a.region == "":
		a.region = region
	case a.region != region:
		return usageError("--region %s does not match %s %s, which is in %s\nhint: leave --region out (the pool ID names its region), or check %s", quoteShort(a.region), flagName, poolID, region, flagName)
	}
	return nil
}

// quoteShort quotes a value from the command line, cut to 60 bytes.
func quoteShort(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:60]) + "..."
	}
	return strconv.Quote(s)
}
