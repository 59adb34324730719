// Package cognito is cogpass's adapter to Amazon Cognito user pools: the
// API interface the job and the export call, the SDK client constructor,
// the classification of every failed call into what the job does next
// (docs/errors.md), and one paced, classified, retried Call.
//
// Its leaves, cognito/quota (the per-account quota categories) and
// cognito/policy (the password policy and generator), import no SDK and
// nothing else of cogpass; the emulator shares them.
package cognito
