package session

import mterm "github.com/ssh-mosh/ssh-mosh/term"

// leaveKeepingScreen is what an ssh-mosh client writes as it gives the
// terminal back: mosh's reset (Display.Close), then, when the session drew
// on the alternate screen, the session's last screen printed as lines on
// the normal screen, below what was there before the session — the place
// ssh's output would have taken. So the output of `ssh-mosh -t host 'make
// test'` stays readable, and scrolls into the terminal's own history like
// any other output.
//
// The session still draws on the alternate screen: its frames are diffs
// against a screen the client knows in full, which the alternate screen
// gives it in every terminal (tmux included) whatever was on the normal
// screen, and nothing the diffs do (clears, scroll regions) disturbs the
// user's history. Only the final frame, printed once as plain lines, joins
// that history. With MOSH_NO_TERM_INIT (--no-init) the session drew on the
// normal screen, where its last frame already is: nothing is added.
func leaveKeepingScreen(display mterm.Display, noTermInit bool, last *mterm.Framebuffer) []byte {
	out := display.Close(noTermInit)
	if noTermInit {
		return out
	}
	return mterm.AppendScreenLines(out, last)
}
