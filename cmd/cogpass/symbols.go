package main

import (
	"fmt"

	"cogpass/cognito/policy"
)

// setPasswordSymbols reads --password-symbols: every character must be a
// symbol Cognito accepts. Whether the pool's policy can do without symbols
// is known once its policy is read (an empty set for a pool that requires
// symbols stops the job before its first generated password).
func (f *jobFlags) setPasswordSymbols(v string) error {
	if err := policy.CheckSymbolSet(v); err != nil {
		return fmt.Errorf("%w", err)
	}
	f.opts.PasswordSymbols = &v
	return nil
}
