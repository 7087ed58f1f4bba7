package session

import (
	"fmt"

	"github.com/ssh-mosh/ssh-mosh/internal/sshescape"
)

// EscapeKey is the client's escape key configuration (MOSH_ESCAPE_KEY), as
// mosh 1.4's STMClient::init: default Ctrl-^; one character 1–127 sets it,
// except Ctrl-C, Ctrl-D, LF, Ctrl-L and CR; an empty value disables it.
type EscapeKey struct {
	Key        int  // the escape byte, or -1 when disabled
	Pass       byte // the byte after the escape key that sends the key itself ('^' for Ctrl-^)
	Pass2      byte // a lower-case alternative of Pass
	RequiresLF bool // a printable escape key only works at the start of a line
	Name       string
	Help       string
}

// ParseEscapeKey interprets MOSH_ESCAPE_KEY; set is false when the variable
// is absent.
func ParseEscapeKey(value string, set bool) EscapeKey {
	def := EscapeKey{Key: 0x1e, Pass: '^', Pass2: '^'}
	k := def
	switch {
	case !set:
	case len(value) == 0:
		return EscapeKey{Key: -1}
	case len(value) == 1 && value[0] > 0 && value[0] < 128:
		c := value[0]
		k.Key = int(c)
		if c < 32 {
			k.Pass = c + '@'
		} else {
			k.Pass = c
		}
		k.Pass2 = k.Pass
		if k.Pass >= 'A' && k.Pass <= 'Z' {
			k.Pass2 = k.Pass + 'a' - 'A'
		}
	}
	switch k.Key {
	case 0x03, 0x04, 0x0a, 0x0c, 0x0d:
		k = def
	}
	if k.Key < 32 {
		k.Name = fmt.Sprintf("Ctrl-%c", k.Pass)
	} else {
		k.Name = fmt.Sprintf("%q", rune(k.Key))
		k.RequiresLF = true
	}
	// mosh's help with the status key added; "gives literal" became
	// "sends" so that the line still fits 80 columns.
	k.Help = fmt.Sprintf(`Commands: Ctrl-Z suspends, "." quits, "%c" shows status, "%c" sends %s`, statusKey, k.Pass, k.Name)
	return k
}

// statusKey, typed after the escape key, shows the session's state (route,
// round-trip time, server, last contact) for a few seconds. mosh gives no
// meaning to it (its commands are ".", Ctrl-Z and the literal key).
const statusKey = 's'

// escapeAction is what a typed byte asks the client to do.
type escapeAction uint8

const (
	escSend     escapeAction = iota // send the returned bytes
	escStart                        // escape key typed: show the help
	escQuit                         // escape + '.'
	escSuspend                      // escape + Ctrl-Z
	escRepaint                      // Ctrl-L: send it and repaint
	escFinished                     // escape sequence finished: send bytes, hide the help
	escStatus                       // escape + statusKey: show the session's state
	escHeld                         // ssh's escape character at a line's start: held
	escQuitSSH                      // ssh's escape + '.'
	escSSHHelp                      // ssh's escape + '?'
)

// escapeFilter runs the escape keys' state machines over typed bytes:
// mosh's escape key (anywhere, or after a newline when printable) and
// OpenSSH's escape character (after a newline). mosh's key comes first:
// its sequence takes the next byte whatever it is, and when both are the
// same byte it is mosh's.
type escapeFilter struct {
	key       EscapeKey
	ssh       sshescape.Filter
	started   bool
	lfEntered bool
}

func newEscapeFilter(key EscapeKey, sshChar int) escapeFilter {
	return escapeFilter{key: key, ssh: sshescape.NewFilter(sshChar)}
}

// feed consumes one typed byte. out is where bytes to send are appended.
func (f *escapeFilter) feed(b byte, out []byte) ([]byte, escapeAction) {
	if f.ssh.Pending() {
		n := len(out)
		var act sshescape.Action
		out, act = f.ssh.Feed(b, out)
		switch act {
		case sshescape.Quit:
			return out, escQuitSSH
		case sshescape.Suspend:
			return out, escSuspend
		case sshescape.Help:
			return out, escSSHHelp
		}
		if len(out)-n == 1 {
			return out, escSend // the escape character itself
		}
		// Not a command: the escape character goes, and b is typed as
		// usual (it may start mosh's escape).
		f.lfEntered = false
		return f.moshKey(b, out[:n+1])
	}
	if !f.started && !f.isMoshKey(b) {
		if _, act := f.ssh.Feed(b, nil); act == sshescape.Held {
			return out, escHeld
		}
	}
	return f.moshKey(b, out)
}

func (f *escapeFilter) isMoshKey(b byte) bool {
	return f.key.Key > 0 && int(b) == f.key.Key && (f.lfEntered || !f.key.RequiresLF)
}

// moshKey is mosh's escape key on one typed byte.
func (f *escapeFilter) moshKey(b byte, out []byte) ([]byte, escapeAction) {
	if f.started {
		f.started = false
		switch {
		case b == '.':
			return out, escQuit
		case b == 0x1a:
			return out, escSuspend
		case b == f.key.Pass || b == f.key.Pass2:
			return append(out, byte(f.key.Key)), escFinished
		case b == statusKey:
			return out, escStatus
		default:
			return append(out, byte(f.key.Key), b), escFinished
		}
	}
	if f.isMoshKey(b) {
		f.started = true
		f.lfEntered = false
		return out, escStart
	}
	f.lfEntered = b == '\n' || b == '\r'
	out = append(out, b)
	if b == 0x0c {
		return out, escRepaint
	}
	return out, escSend
}
