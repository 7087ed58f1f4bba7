package main

import (
	"slices"
	"strings"
	"testing"
)

// FuzzCommandLine runs a whole ssh-mosh command line (NUL-separated words)
// through what main does with it: the ssh-style parse, the choice between
// a roaming session and OpenSSH, and the argv handed to OpenSSH.
// Properties: nothing panics; for a command line that parses, a session
// always has a destination that is not an option, and PassthroughArgv is
// idempotent (what it hands to ssh holds none of ssh-mosh's own options, so
// a second pass changes nothing) and keeps the destination and the command
// words.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"host", "host\x00-p\x002201\x00-l\x00alice", "-4\x00host\x00ls\x00-l", "--\x00host\x00-p\x001",
		"host\x00--predict=never\x00-t\x00top", "-oMoshTransport=ssh\x00host", "--ssh=ssh -p 2022\x00host\x00cmd",
		"-L\x001:h:2\x00host", "host\x00-", "-p", "--port\x00host", "-tt\x00host\x00-o\x00User=x\x00sh",
	} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, line string, tty bool) {
		if len(line) > 4096 {
			return
		}
		args := strings.Split(line, "\x00")
		o, rest, perr := parseSSHStyle(args...)
		if perr == nil {
			if m, _ := Decide(o, rest, tty, tty); m == ModeSession {
				if len(rest) == 0 || rest[0] == "" || strings.HasPrefix(rest[0], "-") {
					t.Fatalf("session without a destination: %q", rest)
				}
			}
		}
		argv := append([]string{"ssh-mosh"}, args...)
		out, err := PassthroughArgv("/usr/bin/ssh", argv)
		if err != nil || perr != nil {
			// main hands an argv to OpenSSH only after parsing it, which
			// refuses a --ssh whose words are not ssh's flags (--ssh="ssh
			// --ssh"): the properties below hold for what parses.
			return
		}
		again, err := PassthroughArgv("/usr/bin/ssh", out)
		if err != nil || !slices.Equal(again, out) {
			t.Fatalf("PassthroughArgv is not idempotent:\n%q\n%q (%v)", out, again, err)
		}
		// The destination and the command words reach ssh in order
		// (ssh's own options may stand between them).
		i := 1
		for _, w := range rest {
			for i < len(out) && out[i] != w {
				i++
			}
			if i == len(out) {
				t.Fatalf("PassthroughArgv lost %q of %q: %q", w, rest, out)
			}
			i++
		}
	})
}
