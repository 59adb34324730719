package emulator_test

import (
	"fmt"

	"cogpass/emulator"
)

// The fault modes and pool kinds, as docs/emulator.md shows them.
func ExampleNew_faults() {
	srv := emulator.New(emulator.Options{
		Seed:          1,
		EmailDailyCap: emulator.CognitoDefaultEmailDailyCap, // 0: no cap
		LambdaFault:   emulator.LambdaFault{Code: emulator.UnexpectedLambdaException, Rate: 0.1},
		// Lose exactly the first ChangePassword answer, after applying it:
		FaultAfterApply: emulator.AfterApplyFault{Rate: 1, Limit: 1, Operations: []string{"ChangePassword"},
			Kinds: []emulator.AfterApplyKind{emulator.AfterApplyDrop}},
	})
	fmt.Println(srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_Mail", UsernameAttributes: []string{"email"}}))
	fmt.Println(srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_Admin", AccountRecovery: []string{emulator.RecoveryAdminOnly}}))
	fmt.Println(srv.CreatePool(emulator.PoolConfig{ID: "us-east-1_Case", CaseSensitive: true, AliasAttributes: []string{"email"}}))
	fmt.Println(srv.AddUser("us-east-1_Mail", emulator.SeedUser{Username: "alice@example.com"}))
	n, ok := srv.SignOuts("us-east-1_Mail", "alice@example.com")
	fmt.Println(n, ok)
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// <nil>
	// 0 true
}
