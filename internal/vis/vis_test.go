package vis

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestVisibleEscapesServerText: what a server sends in keyboard-interactive
// prompts cannot reach the terminal as control sequences.
func TestVisibleEscapesServerText(t *testing.T) {
	for in, want := range map[string]string{
		"Password: ":                       "Password: ",
		"line1\nline2\ttab":                "line1\nline2\ttab",
		"\x1b]0;pwned\x07Password:":        "\\033]0;pwned\\007Password:",
		"\x1b[2J\x1b[H":                    "\\033[2J\\033[H",
		"csi\u009b31m":                     "csi\\23331m",
		"del\x7f":                          "del\\177",
		"bad\xffutf8":                      "bad?utf8",
		"Mot de passe pour élodie : ":      "Mot de passe pour élodie : ",
		"\x1bP+q544e\x1b\\ (DECRQSS-like)": "\\033P+q544e\\033\\ (DECRQSS-like)",
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOneLine: OpenSSH's stderr (lines ended by "\r\n") becomes one line
// that a terminal shows as written; a carriage return left inside a line
// would send the cursor back and let the next line overwrite the first.
func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":         "",
		"one line": "one line",
		"/tmp/cfg: line 3: Bad configuration option: nosuchkeyword\r\n/tmp/cfg: terminating, 1 bad configuration options\r\n": "/tmp/cfg: line 3: Bad configuration option: nosuchkeyword; /tmp/cfg: terminating, 1 bad configuration options",
		"a\n\n  b  \n":       "a; b",
		"cr\rinside":         "cr\\015inside",
		"tab\tkept":          "tab\tkept",
		"\x1b]0;title\x07ok": "\\033]0;title\\007ok",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzOneLine(f *testing.F) {
	f.Add("a\r\nb\x1b[2J\u009b\x7f\xff")
	f.Fuzz(func(t *testing.T, s string) {
		got := OneLine(s)
		for _, r := range got {
			if r == '\n' || r == '\r' || (r < ' ' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("OneLine(%q) = %q keeps control %U", s, got, r)
			}
		}
	})
}

// TestStrerror: an operating system's error in the words ssh prints, from
// however Go wrapped it.
func TestStrerror(t *testing.T) {
	_, statErr := os.Stat("/nonexistent/file")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, listenErr := net.Listen("tcp", ln.Addr().String())
	for _, tt := range []struct {
		err  error
		want string
	}{
		{statErr, "No such file or directory"},
		{listenErr, "Address already in use"},
		{fmt.Errorf("wrapped: %w", syscall.EACCES), "Permission denied"},
		{fmt.Errorf("not an errno"), "Not an errno"},
	} {
		if got := Strerror(tt.err); got != tt.want {
			t.Errorf("Strerror(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
