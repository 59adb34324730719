//go:build conformance

// Package conformance runs the real cogpass binary against cognito-local
// (github.com/jagregory/cognito-local), a Cognito emulator written by
// someone else, so that cogpass is not only ever tested against the
// emulator it ships with. It is test code only, behind the build tag
// "conformance": `go test ./...` never builds it. `make conformance`
// (scripts/conformance.sh) installs the pinned cognito-local, starts it on
// a loopback port and runs
//
//	COGNITO_LOCAL_URL=http://127.0.0.1:PORT COGPASS_BIN=/abs/bin/cogpass \
//	  go test -tags conformance -count=1 ./conformance/
//
// The differences found between cognito-local, Cognito and cogpass's own
// emulator are listed in docs/conformance.md.
package conformance
