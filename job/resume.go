package job

import (
	"fmt"
	"log/slog"

	"filippo.io/age"

	"cogpass/report"
)

// settleInFlight tells a resumed job which rows the earlier run may have
// sent without learning the outcome (no final report row), and the
// passwords it recorded as pending for them, which the job sends again so
// that a write that was applied is recognised (see Config.Pending).
// An encrypted secrets file is read with identityFile when one is given;
// without it a set row is sent with a new password, which is as good, and
// a change row the earlier run applied fails (its password is still in the
// secrets file, as pending).
func settleInFlight(cfg *Config, ix *report.Index, secrets *report.Secrets, identityFile string, log *slog.Logger) error {
	cfg.InFlight = func(line int) bool { return !ix.Final(line, false) }
	if secrets == nil {
		return nil
	}
	var ids []age.Identity
	if secrets.Encrypted() {
		if identityFile == "" {
			if cfg.Command == Change {
				log.Warn("the secrets file is encrypted: rows the stopped run left in flight are sent with new passwords; a change it applied fails and its password stays pending in the secrets file",
					"hint", "pass --secrets-identity with the private key to settle them with their pending passwords")
			}
			return nil
		}
		var err error
		if ids, err = report.ReadIdentities(identityFile); err != nil {
			return &UsageError{Err: err}
		}
	}
	pending, err := report.PendingSecrets(secrets.Path(), ids)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("cannot resume: read the pending passwords: %w", err)}
	}
	n := 0
	for line := range pending {
		if cfg.InFlight(line) {
			n++
		}
	}
	if n > 0 {
		log.Info("rows in flight when the job stopped are settled with their pending passwords", "rows", n)
	}
	cfg.Pending = func(line int) (string, bool) {
		pw, ok := pending[line]
		return pw, ok
	}
	return nil
}
