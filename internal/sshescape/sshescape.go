// Package sshescape owns OpenSSH's escape character in ssh-mosh's
// sessions: its settings (ssh -e, EscapeChar) and the recognizer of
// "~." and its kin typed at the start of a line, so that an `alias
// ssh=ssh-mosh` user's habits work as in ssh. mosh's own escape key
// (Ctrl-^) lives beside it in package session.
package sshescape

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// None is the escape character of a session without one (EscapeChar
// none). It is NUL, which ssh would take as "^@": a zero configuration
// means no escapes, and NUL is what Ctrl-Space types.
const None = 0

// Default is OpenSSH's escape character.
const Default = '~'

// ParseChar reads an escape character as ssh's -e and EscapeChar take it:
// one byte, "^" and a character from '@' to DEL (a control character:
// "^]" is 0x1d), or "none".
func ParseChar(s string) (int, error) {
	switch {
	case s == "none":
		return None, nil
	case len(s) == 1:
		return int(s[0]), nil
	case len(s) == 2 && s[0] == '^' && s[1] >= 64 && s[1] < 128:
		return int(s[1] & 31), nil
	}
	return 0, fmt.Errorf("bad escape character %q: use one character, ^ and a letter (^]), or none", s)
}

// ParseDump reads the escape character as `ssh -G` prints it: "none", or
// the byte in vis(3)'s VIS_WHITE encoding ("~", "\^]", "\040", "\\",
// "\M-i", "\M^A").
func ParseDump(s string) (int, error) {
	if s == "none" {
		return None, nil
	}
	bad := errors.New("ssh -G printed an escape character it does not make: " + strconv.Quote(s))
	if !strings.HasPrefix(s, `\`) {
		if len(s) != 1 {
			return 0, bad
		}
		return int(s[0]), nil
	}
	rest := s[1:]
	meta := 0
	if strings.HasPrefix(rest, "M") && len(rest) >= 3 {
		// \M-x is x with the high bit; \M^X a control character with it.
		meta = 0x80
		switch rest[1] {
		case '-':
			rest = rest[2:]
			if len(rest) != 1 {
				return 0, bad
			}
			return meta | int(rest[0]), nil
		case '^':
			rest = rest[1:]
		default:
			return 0, bad
		}
	}
	switch {
	case rest == `\`:
		return int('\\'), nil
	case len(rest) == 2 && rest[0] == '^':
		if rest[1] == '?' {
			return meta | 0x7f, nil
		}
		if rest[1] < '@' || rest[1] > '_' {
			return 0, bad
		}
		return meta | int(rest[1]-'@'), nil
	case len(rest) == 3 && meta == 0:
		n, err := strconv.ParseUint(rest, 8, 8)
		if err != nil {
			return 0, bad
		}
		return int(n), nil
	}
	return 0, bad
}

// Name is how ssh-mosh shows the escape character c: itself when
// printable, ^X for a control character.
func Name(c int) string {
	switch {
	case c == None:
		return "none"
	case c < 0x20:
		return "^" + string(rune(c+'@'))
	case c == 0x7f:
		return "^?"
	case c < 0x7f:
		return string(rune(c))
	}
	return fmt.Sprintf("\\%03o", c)
}

// Action is what a typed byte asks of the session.
type Action uint8

const (
	Send    Action = iota // send the bytes Feed returned (possibly none)
	Held                  // the escape character at a line's start: wait for the next byte
	Quit                  // escape, '.': end the session (ssh: status 255)
	Suspend               // escape, Ctrl-Z
	Help                  // escape, '?': show the escapes
)

// Filter recognizes the escape character at the start of a line, as
// OpenSSH's client does: at the session's start and after CR or LF, the
// escape character is held; the next byte is '.', Ctrl-Z or '?' (a
// command, nothing is sent), the escape character again (sent once), or
// anything else (both are sent, and the second byte is read as usual). A
// command leaves the line's start where it was, so "~?" may be followed
// by "~.".
type Filter struct {
	char      int // None: no escapes
	pending   bool
	lineStart bool
}

// NewFilter returns a filter for escape character c (None: every byte is
// sent as typed).
func NewFilter(c int) Filter { return Filter{char: c, lineStart: true} }

// Char is the filter's escape character.
func (f *Filter) Char() int { return f.char }

// Pending reports whether an escape character is held.
func (f *Filter) Pending() bool { return f.pending }

// Feed consumes one typed byte; the bytes to send are appended to out.
// After Send with a held escape character released, out holds it and b
// (b then counts as typed on its own: another escape key may act on it,
// see Released).
func (f *Filter) Feed(b byte, out []byte) ([]byte, Action) {
	if f.char == None {
		return append(out, b), Send
	}
	if f.pending {
		f.pending = false
		switch {
		case b == '.':
			return out, Quit
		case b == 0x1a:
			return out, Suspend
		case b == '?':
			return out, Help
		case int(b) == f.char:
			f.lineStart = false
			return append(out, b), Send
		}
		out = append(out, byte(f.char))
	} else if f.lineStart && int(b) == f.char {
		f.pending = true
		return out, Held
	}
	f.lineStart = b == '\r' || b == '\n'
	return append(out, b), Send
}

// HelpText is the one line that "~?" shows (at most 80 columns for the
// default characters).
func HelpText(c int, moshKey string) string {
	n := Name(c)
	s := fmt.Sprintf("After Enter: %[1]s. quits, %[1]s^Z suspends, %[1]s%[1]s sends %[1]s", n)
	if moshKey != "" {
		s += fmt.Sprintf("; %s . quits anywhere", moshKey)
	}
	return s
}
