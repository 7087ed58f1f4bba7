package sshcfg

import (
	"io"
	"strings"
	"sync/atomic"

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

	ended atomic.Bool // "~." was typed
	buf   []byte      // what is read from r
	store []byte      // out's array, reused for each read
	out   []byte      // filtered bytes not yet returned
	err   error       // r's error, returned once out is empty
}

// Read implements io.Reader: after "~." it reports io.EOF. A held escape
// character released with the next byte makes the filtered bytes one more
// than were read: what does not fit p waits in out for the next call.
func (e *escapeReader) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.ended.Load() {
			return 0, io.EOF
		}
		if e.err != nil {
			return 0, e.err
		}
		if cap(e.buf) < len(p) {
			e.buf = make([]byte, len(p))
		}
		var n int
		n, e.err = e.r.Read(e.buf[:len(p)])
		e.out = e.store[:0]
	bytes:
		for _, b := range e.buf[:n] {
			var act sshescape.Action
			e.out, act = e.filter.Feed(b, e.out)
			switch act {
			case sshescape.Quit:
				// What came before it still goes; then the end.
				e.ended.Store(true)
				e.quit()
				break bytes
			case sshescape.Suspend:
				e.suspend()
			case sshescape.Help:
				_, _ = io.WriteString(e.help, sshHelp(e.filter.Char()))
			}
		}
		e.store = e.out
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// quitted reports whether the user typed "~.".
func (e *escapeReader) quitted() bool { return e.ended.Load() }

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
