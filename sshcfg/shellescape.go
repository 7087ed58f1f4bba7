package sshcfg

import (
	"io"
	"strings"
	"sync"

	"github.com/ssh-mosh/ssh-mosh/internal/sshescape"
)

// escapeReader gives a plain shell's keyboard OpenSSH's escapes: it reads
// the terminal, passes what is typed, and acts on "~." (quit), "~^Z"
// (suspend) and "~?" (help) at the start of a line, as ssh's client does.
type escapeReader struct {
	r       io.Reader
	filter  sshescape.Filter
	help    io.Writer // where "~?" prints
	suspend func()    // stops the process until it is continued
	quit    func()    // ends the session

	mu    sync.Mutex
	ended bool
	buf   []byte
}

// Read implements io.Reader: after "~." it reports io.EOF.
func (e *escapeReader) Read(p []byte) (int, error) {
	for {
		if e.quitted() {
			return 0, io.EOF
		}
		if cap(e.buf) < len(p) {
			e.buf = make([]byte, len(p))
		}
		n, err := e.r.Read(e.buf[:len(p)])
		out := p[:0]
		for _, b := range e.buf[:n] {
			var act sshescape.Action
			out, act = e.filter.Feed(b, out)
			switch act {
			case sshescape.Quit:
				e.mu.Lock()
				e.ended = true
				e.mu.Unlock()
				e.quit()
				return len(out), io.EOF
			case sshescape.Suspend:
				e.suspend()
			case sshescape.Help:
				_, _ = io.WriteString(e.help, sshHelp(e.filter.Char()))
			}
		}
		if len(out) > 0 || err != nil {
			return len(out), err
		}
	}
}

// quitted reports whether the user typed "~.".
func (e *escapeReader) quitted() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ended
}

// sshHelp is what ssh prints for "~?", for the escapes a plain shell of
// ssh-mosh knows, with the line ends of a terminal in raw mode.
func sshHelp(c int) string {
	n := sshescape.Name(c)
	lines := []string{
		"",
		"Supported escape sequences:",
		" " + n + ".   - terminate connection",
		" " + n + "^Z  - suspend ssh",
		" " + n + "?   - this message",
		" " + n + n + "   - send the escape character by typing it twice",
		"(Note that escapes are only recognized immediately after newline.)",
		"",
	}
	return strings.Join(lines, "\r\n")
}
