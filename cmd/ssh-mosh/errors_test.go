package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// goPackageName matches a Go package name used as an error prefix.
var goPackageName = regexp.MustCompile(`\b(sshcfg|session|datapath|forward|roam|wire|netem|locale|overlay|mterm|pflag|cobra|main|testenv|strconv\.\w+|time|stat|open): |invalid argument ".*" for ".*" flag`)

// TestErrorsPrefixedOnce runs the binary on failures of each layer (the
// command line, the ssh config, the connection, the session key, the
// session's terminal and trace file) and checks what the user reads: one
// line on stderr with exactly one "ssh-mosh: " prefix and no Go package
// name, and a failing status. A login's failures need a terminal (without
// one the command goes to OpenSSH): stdin and stdout are a pty there.
func TestErrorsPrefixedOnce(t *testing.T) {
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	dir := t.TempDir()
	badCfg := filepath.Join(dir, "bad_config")
	if err := os.WriteFile(badCfg, []byte("Host bad\n  Port notaport\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	goodKey := "MOSH_KEY=AAAAAAAAAAAAAAAAAAAAAA"
	for _, tt := range []struct {
		name string
		args []string
		env  []string
		tty  bool   // stdin and stdout on a pty
		want string // a phrase of the message
	}{
		{"unreachable host", []string{"-F", "none", "-o", "ConnectTimeout=5", "-p", "1", "127.0.0.1"}, nil, true, "Connection refused"},
		{"unresolvable host", []string{"-F", "none", "no-such-host.invalid"}, nil, true, "Could not resolve hostname"},
		{"--family without an address of it", []string{"-F", "none", "--family=inet", "-p", "1", "::1"}, nil, true, "no IPv4 address"},
		{"bad config line", []string{"-F", badCfg, "bad"}, nil, true, `Port "notaport"`},
		{"missing config file", []string{"-F", filepath.Join(dir, "none-here"), "h"}, nil, true, "none-here: No such file or directory"},
		{"unknown option", []string{"-Z", "host"}, nil, false, "unknown option -- Z"},
		{"unknown long option", []string{"--frobnicate", "host"}, nil, false, "unknown option --frobnicate"},
		{"option without its value", []string{"host", "-p"}, nil, false, "option requires an argument -- p"},
		// A value a flag refuses: ssh's words for ssh's flags, ours for
		// mosh's, never pflag's wrapper or Go's parser.
		{"bad port", []string{"-p", "notaport", "host"}, nil, false, "ssh-mosh: Bad port 'notaport'"},
		{"bad escape character", []string{"-e", "ab", "host"}, nil, false, "ssh-mosh: Bad escape character 'ab'."},
		{"bad --scrollback", []string{"--scrollback=abc", "host"}, nil, false, "ssh-mosh: --scrollback=abc: want a number of lines"},
		{"bad --delay", []string{"--local", "--delay=xyz"}, nil, false, "ssh-mosh: --delay=xyz: want a duration"},
		{"bad --family", []string{"--family=ipx", "host"}, nil, false, "--family=ipx"},
		{"bad session key", []string{"--connect", "127.0.0.1:1"}, []string{"MOSH_KEY=short"}, false, "bad MOSH_KEY"},
		{"no terminal", []string{"--connect", "127.0.0.1:1"}, []string{goodKey}, false, "standard input is not a terminal"},
		{"bad trace file", []string{"--connect", "127.0.0.1:1"}, []string{goodKey, "SSH_MOSH_TRACE=" + filepath.Join(dir, "no", "trace")}, false, "trace file"},
		{"log file not writable", []string{"-E", filepath.Join(dir, "no", "log"), "--connect", "127.0.0.1:1"}, []string{goodKey}, false, "cannot open log file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(os.Environ(), "HOME="+dir, "SSH_AUTH_SOCK=")
			cmd.Env = append(cmd.Env, tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if tt.tty {
				ptmx, tty, err := pty.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer ptmx.Close()
				go func() { _, _ = ioDiscard(ptmx) }()
				cmd.Stdin, cmd.Stdout = tty, tty
				err = cmd.Run()
				tty.Close()
				checkFailure(t, err, stderr.String(), tt.want)
				return
			}
			checkFailure(t, cmd.Run(), stderr.String(), tt.want)
		})
	}
}

func checkFailure(t *testing.T, err error, stderr, want string) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Errorf("exit: %v, want a failing status", err)
	}
	msg := strings.TrimRight(stderr, "\n")
	lines := strings.Split(msg, "\n")
	last := lines[len(lines)-1]
	switch {
	case strings.Count(stderr, "ssh-mosh: ") != 1 || !strings.HasPrefix(last, "ssh-mosh: "):
		t.Errorf("want one line with one \"ssh-mosh: \" prefix, got %q", stderr)
	case goPackageName.MatchString(stderr):
		t.Errorf("a Go package name in %q", stderr)
	case !strings.Contains(last, want):
		t.Errorf("message %q lacks %q", last, want)
	}
}

// ioDiscard drains the pty's output so the child never blocks on it.
func ioDiscard(f *os.File) (int64, error) {
	var n int64
	buf := make([]byte, 4096)
	for {
		m, err := f.Read(buf)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
}
