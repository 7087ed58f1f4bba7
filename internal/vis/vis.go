// Package vis words what ssh-mosh shows on a terminal as OpenSSH shows it,
// and makes text from untrusted sources safe to show there: a server's
// prompts, a config file's contents, another program's error output. A
// terminal acts on control characters (it moves the cursor, retitles the
// window, answers queries), so they are shown escaped, as OpenSSH escapes
// everything it logs (strnvis with VIS_SAFE|VIS_OCTAL).
package vis

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Strerror words an error from the operating system as C's strerror does,
// which is what ssh prints ("No such file or directory", "Address already
// in use"): Go's words for an errno are the same in lower case, and the
// operation and path around them are dropped (the caller's message names
// them).
func Strerror(err error) string {
	var errno syscall.Errno
	var pe *fs.PathError
	var oe *net.OpError
	switch {
	case errors.As(err, &errno):
		err = errno
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &oe) && oe.Err != nil:
		err = oe.Err
	}
	msg := err.Error()
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// Visible escapes what a terminal would act on — C0 controls other than tab
// and newline, DEL and C1 controls — as \ooo, and shows an invalid UTF-8
// byte as '?'.
func Visible(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == utf8.RuneError:
			b.WriteByte('?')
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// OneLine is Visible for a message that must stay on one line: its lines,
// each without the blanks and the carriage return around it (OpenSSH ends
// the lines it writes to stderr with "\r\n"), are joined with "; ", and
// blank lines are dropped.
func OneLine(s string) string {
	var lines []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, Visible(l))
		}
	}
	return strings.Join(lines, "; ")
}
