package cognito

import "fmt"

// CredentialHint is a line of advice for a call refused for its
// credentials, its permissions or its pool, by the error code; "" for
// other codes.
func CredentialHint(code string) string {
	switch code {
	case "ExpiredTokenException", "ExpiredToken", "RequestExpired":
		return "the AWS credentials have expired: refresh them (aws sso login, or a new session) and rerun with --resume"
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "CredentialsError":
		return "the AWS credentials were rejected or are missing: check --profile, AWS_PROFILE or AWS_ACCESS_KEY_ID"
	case "AccessDeniedException", "AccessDenied":
		return "the credentials lack an IAM permission: see 'IAM permissions' in the README"
	case "ResourceNotFoundException":
		return "check --user-pool-id and --region"
	}
	return ""
}

// WithHint adds CredentialHint(code), when there is one, to err as a line
// of its own.
func WithHint(err error, code string) error {
	if h := CredentialHint(code); h != "" {
		return fmt.Errorf("%w\nhint: %s", err, h)
	}
	return err
}
