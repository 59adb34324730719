// Package cognito is cogpass's adapter to Amazon Cognito user pools: the
// API interface a job calls (API), the SDK client constructor (NewClient:
// the retryer off, and the closed-connection workaround OwnBody), the
// classification of every failed call into what the caller does next
// (Classify, Backoff; docs/errors.md), and one paced, classified, retried
// Call that the job's rows, the export's pages and the pool reads share;
// and Cognito's facts the commands share: the user statuses, from the SDK's
// own types.UserStatusType (UserStatuses), and what a pool's settings mean
// (PoolPolicy, CaseSensitive, TemporaryValidity).
//
// Its leaves, cognito/quota (the per-account quota categories) and
// cognito/policy (the password policy and generator), import no SDK and
// nothing else of cogpass; the emulator shares them.
package cognito
