//go:build conformance

// Package conformance runs the real cogpass binary, and the Cognito
// behaviours of issue 15, against emulators written by someone else --
// cognito-local (github.com/jagregory/cognito-local) and moto's cognito-idp
// backend (github.com/getmoto/moto) -- and against cogpass's own emulator,
// so that cogpass is not only ever tested against the emulator it ships
// with. It is test code only, behind the build tag "conformance": `go test
// ./...` never builds it. `make conformance` (scripts/conformance.sh)
// installs the pinned cognito-local, starts the three servers on loopback
// ports and runs
//
//	CONFORMANCE_BACKENDS="cognito-local=http://127.0.0.1:P1 moto=http://127.0.0.1:P2 cogpass-emulator=http://127.0.0.1:P3" \
//	  COGPASS_BIN=/abs/bin/cogpass go test -tags conformance -count=1 ./conformance/
//
// Every test runs once per backend, as a subtest named after it. The
// differences found between the backends, Cognito's documentation and
// cogpass's own emulator are listed in docs/conformance.md.
package conformance
