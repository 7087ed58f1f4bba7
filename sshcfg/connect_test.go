package sshcfg

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseConnect(t *testing.T) {
	good := map[string]int{
		"MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw":     60001,
		"MOSH CONNECT 1 AAAAAAAAAAAAAAAAAAAAAA\r":       1,
		"MOSH CONNECT 65535 ++++//++++abcdefghij09  \r": 65535,
	}
	for line, port := range good {
		p, key, err := ParseConnect(line)
		if err != nil || p != port || len(key) != 22 {
			t.Errorf("ParseConnect(%q) = %d, %q, %v", line, p, key, err)
		}
	}
	for _, line := range []string{
		"", "MOSH CONNECT", "MOSH CONNECT 60001", "MOSH CONNECT 0 4NeCCgvZFe2RnPgrcU1PQw",
		"MOSH CONNECT 65536 4NeCCgvZFe2RnPgrcU1PQw", "MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQ",
		"MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw=", "MOSH CONNECT -1 4NeCCgvZFe2RnPgrcU1PQw",
		"xMOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw", "MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw x",
		"MOSH CONNECT 99999999999999999999 4NeCCgvZFe2RnPgrcU1PQw",
	} {
		if p, _, err := ParseConnect(line); err == nil {
			t.Errorf("ParseConnect(%q) accepted port %d", line, p)
		}
	}
}

// FuzzParseConnect: never panics; anything accepted has a valid port and
// a 22-character base64 key, and re-printing it parses the same.
func FuzzParseConnect(f *testing.F) {
	f.Add("MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw")
	f.Add("MOSH CONNECT 60001 4NeCCgvZFe2RnPgrcU1PQw\r\n")
	f.Add("MOSH CONNECT 0 AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("MOSH CONNECT 123456789012345678901234567890 AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("MOSH IP 127.0.0.1")
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, line string) {
		port, key, err := ParseConnect(line)
		if err != nil {
			return
		}
		if port < 1 || port > 65535 || len(key) != 22 || strings.Trim(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "" {
			t.Fatalf("accepted %q: port %d key %q", line, port, key)
		}
		p2, k2, err := ParseConnect("MOSH CONNECT " + strconv.Itoa(port) + " " + key)
		if err != nil || p2 != port || k2 != key {
			t.Fatalf("round trip of %q failed", line)
		}
	})
}

func TestRemoteScriptQuoting(t *testing.T) {
	s := remoteScript(ServerRequest{Colors: 256, UDPPort: "60001", Command: []string{"sh", "-c", "echo 'hi'; $X"}}, []string{"LANG=C.UTF-8"})
	for _, want := range []string{`'new' '-s' '-c' '256' '-p' '60001' '-l' 'LANG=C.UTF-8' '--' 'sh' '-c' 'echo '\''hi'\''; $X'`, `command -v mosh-server`, `"$HOME/.local/bin"`} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	words, err := SplitShellWords("/bin/sh -c " + ShellQuote(s))
	if err != nil || len(words) != 3 || words[2] != s {
		t.Fatalf("the script does not survive quoting for sh -c: %q, %v", words, err)
	}
}
