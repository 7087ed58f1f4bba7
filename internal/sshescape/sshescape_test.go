package sshescape

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

func TestParseChar(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"~", '~', true}, {"#", '#', true}, {"none", None, true}, {"^]", 0x1d, true},
		{"^a", 1, true}, {"^~", 0x1e, true}, {"^@", None, true}, {"\xe9", 0xe9, true},
		{" ", ' ', true}, {"^", '^', true},
		{"", 0, false}, {"ab", 0, false}, {"^?", 0, false}, {"^^^", 0, false}, {"é", 0, false}, {"None", 0, false},
	} {
		got, err := ParseChar(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseChar(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestParseDumpAgainstSSH: for every value ssh -e takes, ssh -G prints it
// in a form ParseDump reads back to what ParseChar makes of the value.
func TestParseDumpAgainstSSH(t *testing.T) {
	ssh := testenv.MustHaveExec(t, "ssh")
	var values []string
	for c := 1; c < 256; c++ {
		values = append(values, string([]byte{byte(c)}))
	}
	for c := 64; c < 128; c++ {
		values = append(values, "^"+string(rune(c)))
	}
	values = append(values, "none")
	for _, v := range values {
		cmd := exec.Command(ssh, "-F", "/dev/null", "-G", "-e", v, "host.invalid")
		cmd.Env = append(os.Environ(), "HOME=/nonexistent")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("ssh -G -e %q: %v", v, err)
		}
		var dump string
		for _, line := range strings.Split(string(out), "\n") {
			if d, ok := strings.CutPrefix(line, "escapechar "); ok {
				dump = d
			}
		}
		want, err := ParseChar(v)
		if err != nil {
			t.Errorf("ParseChar(%q): %v; ssh took it", v, err)
			continue
		}
		got, err := ParseDump(dump)
		if err != nil || got != want {
			t.Errorf("ssh -G -e %q printed %q: ParseDump = %d, %v; want %d", v, dump, got, err, want)
		}
	}
}

// feed runs typed through f and returns what was sent and the actions
// other than Send.
func feed(f *Filter, typed string) (sent string, acts []Action) {
	var out []byte
	for i := 0; i < len(typed); i++ {
		var a Action
		out, a = f.Feed(typed[i], out)
		if a != Send {
			acts = append(acts, a)
		}
	}
	return string(out), acts
}

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		char  int
		typed string
		sent  string
		acts  []Action
	}{
		// At the session's start and after Enter.
		{'~', "~.", "", []Action{Held, Quit}},
		{'~', "ls\r~.", "ls\r", []Action{Held, Quit}},
		{'~', "ls\n~\x1a", "ls\n", []Action{Held, Suspend}},
		// A command keeps the line's start: ~? then ~.
		{'~', "~?~.", "", []Action{Held, Help, Held, Quit}},
		// Not at a line's start: sent as typed.
		{'~', "a~.", "a~.", nil},
		{'~', "cd ~/x\r", "cd ~/x\r", nil},
		// ~~ sends one ~, and the line's start is over.
		{'~', "~~~.", "~~.", []Action{Held}},
		// Anything else sends both, and is read as usual.
		{'~', "~/bin\r", "~/bin\r", []Action{Held}},
		{'~', "~\r~.", "~\r", []Action{Held, Held, Quit}},
		// Another character, a control character, none.
		{'#', "~.\r#.", "~.\r", []Action{Held, Quit}},
		{0x1d, "\x1d.", "", []Action{Held, Quit}},
		{None, "~.", "~.", nil},
	} {
		f := NewFilter(tc.char)
		sent, acts := feed(&f, tc.typed)
		if sent != tc.sent || !slices.Equal(acts, tc.acts) {
			t.Errorf("char %s typed %q: sent %q, actions %v; want %q, %v", Name(tc.char), tc.typed, sent, acts, tc.sent, tc.acts)
		}
	}
}

func TestHelpTextFits(t *testing.T) {
	if s := HelpText(Default, "Ctrl-^"); len(s) > 80 {
		t.Errorf("help is %d columns: %q", len(s), s)
	}
}

func FuzzParseDump(f *testing.F) {
	for _, s := range []string{"~", "none", `\^]`, `\040`, `\\`, `\M-i`, `\M^A`, `\^?`, `\M^?`, `\377`, `\`, `\M-`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseDump(s)
		if err == nil && (c < 0 || c > 255) {
			t.Fatalf("ParseDump(%q) = %d", s, c)
		}
	})
}

func FuzzParseChar(f *testing.F) {
	for _, s := range []string{"~", "none", "^]", "^?", "ab", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseChar(s)
		if err == nil && (c < 0 || c > 255) {
			t.Fatalf("ParseChar(%q) = %d", s, c)
		}
	})
}

// FuzzFilter checks the laws of the filter: what it sends is what was
// typed with the escapes' own bytes taken out, never more; with no escape
// character, exactly what was typed.
func FuzzFilter(f *testing.F) {
	f.Add(byte('~'), []byte("ls\r~.~?~~x\n~/"))
	f.Add(byte(0), []byte("~.\x00"))
	f.Fuzz(func(t *testing.T, c byte, typed []byte) {
		fl := NewFilter(int(c))
		var out []byte
		for _, b := range typed {
			var a Action
			n := len(out)
			out, a = fl.Feed(b, out)
			if a != Send && len(out) != n {
				t.Fatalf("action %d sent %q", a, out[n:])
			}
		}
		if c == None && !bytes.Equal(out, typed) {
			t.Fatalf("no escape character: sent %q, typed %q", out, typed)
		}
		if len(out) > len(typed) {
			t.Fatalf("sent %d bytes, typed %d", len(out), len(typed))
		}
		if c != None && bytes.IndexByte(typed, c) < 0 && !bytes.Equal(out, typed) {
			t.Fatalf("no escape typed: sent %q, typed %q", out, typed)
		}
	})
}
