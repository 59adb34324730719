package job

import "testing"

// The confirmation prompt's action names the skipped statuses, the
// sign-out and the --limit, and the users it counts are no more than the
// limit (moved from cmd/cogpass, where the prompt is rendered:
// "About to reset the passwords (skipping users RESET_REQUIRED), then sign
// each user out of every device, stopping after 20 rows (--limit) for 20
// users.").
func TestConfirmationSaysSignOutSkipAndLimit(t *testing.T) {
	s := &Session{opts: Options{Command: Reset, SignOut: true, Limit: 20}, statuses: []string{"RESET_REQUIRED"}}
	p := s.preview(&Plan{Rows: 500}, 0)
	want := "reset the passwords (skipping users RESET_REQUIRED), then sign each user out of every device, stopping after 20 rows (--limit)"
	if p.Action != want || p.Send != 20 {
		t.Errorf("action %q for %d users, want %q for 20", p.Action, p.Send, want)
	}
}

// A resume with --limit sends no more than the limit, and says how many
// rows remain of how many (cmd's TestConfirmResumeWithLimitCountsRemainingRows
// renders it).
func TestPreviewResumeWithLimit(t *testing.T) {
	s := &Session{opts: Options{Command: Set, Resume: true, Limit: 3}}
	p := s.preview(&Plan{Rows: 20}, 15)
	if p.Send != 3 || p.Total != 20 || p.Done != 15 || !p.Resume {
		t.Errorf("preview %+v, want 3 to send of 20, 15 done", p)
	}
	s.opts.Limit = 0
	if p := s.preview(&Plan{Rows: 20}, 15); p.Send != 5 {
		t.Errorf("without --limit: %d to send, want the 5 that remain", p.Send)
	}
}
