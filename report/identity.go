package report

import (
	"fmt"
	"os"

	"filippo.io/age"
)

// ReadIdentities reads an age identity file (private keys, as age -i
// takes), to read an encrypted secrets file.
func ReadIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open age identity file: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("age identity file %s: %w", path, err)
	}
	return ids, nil
}
