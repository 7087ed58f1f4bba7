package main

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseArgs: mosh-server's command line (one NUL-separated string, as
// argv can hold no NUL) with any $SSH_CONNECTION. Never panics; an accepted
// command line has a valid port range and its command is exactly what
// follows the first "--".
func FuzzParseArgs(f *testing.F) {
	for _, a := range []string{
		"new\x00-c\x00256\x00-s\x00-l\x00LANG=C.UTF-8\x00--\x00/bin/sh\x00-l",
		"new\x00-i\x00127.0.0.1\x00-p\x0060001:60999",
		"new\x00-svp60001\x00-c8",
		"new\x00-p",
		"new\x00-x\x00-@\x00skip\x00-v\x00-v",
		"new\x00-c\x00lots",
		"127.0.0.1\x0060001",
		"a\x00b\x00c",
		"--help",
		"new\x00--\x00--version",
		"new\x00-p\x000:5",
		"",
	} {
		f.Add(a, "192.0.2.1 50000 ::ffff:192.0.2.2 22")
	}
	f.Add("new\x00-s", "")
	f.Add("new\x00-s", "only two")
	f.Fuzz(func(t *testing.T, joined, sshConnection string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		o, err := parseArgs(args, sshConnection)
		if err != nil {
			return
		}
		if o.help || o.version {
			return
		}
		if o.portLow < 0 || o.portHigh > 65535 || o.portLow > o.portHigh {
			t.Fatalf("parseArgs(%q) accepted ports %d:%d", args, o.portLow, o.portHigh)
		}
		if i := slices.Index(args, "--"); i >= 0 && !slices.Equal(o.command, args[i+1:]) {
			t.Fatalf("parseArgs(%q): command %q, want %q", args, o.command, args[i+1:])
		}
		if o.sshIP && o.ip != "" && !strings.Contains(sshConnection, o.ip) {
			t.Fatalf("parseArgs(%q) with -s binds %q, not from $SSH_CONNECTION %q", args, o.ip, sshConnection)
		}
	})
}
