package termcolors

import (
	"os"
	"path/filepath"
	"testing"
)

// env is a TERM environment with the fixture database as $TERMINFO and a
// HOME without one, so the results do not depend on the machine's.
func env(kv ...string) func(string) string {
	m := map[string]string{"TERMINFO": "testdata/terminfo", "HOME": "/nonexistent"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(string) string
		want int
	}{
		// From the entries (testdata/terminfo, copied from Debian's ncurses).
		{"xterm-256color", env("TERM", "xterm-256color"), 256},
		{"tmux-256color", env("TERM", "tmux-256color"), 256},
		{"xterm", env("TERM", "xterm"), 8},
		{"dumb", env("TERM", "dumb"), 0},
		// colors#0x1000000 in ncurses 6.1's 32-bit format: at most 256.
		{"xterm-direct", env("TERM", "xterm-direct"), 256},
		// COLORTERM raises a terminal that does direct colour.
		{"xterm truecolor", env("TERM", "xterm", "COLORTERM", "truecolor"), 256},
		{"xterm 24bit", env("TERM", "xterm", "COLORTERM", "24bit"), 256},
		{"xterm COLORTERM=yes", env("TERM", "xterm", "COLORTERM", "yes"), 8},
		{"no TERM, truecolor", env("COLORTERM", "truecolor"), 0},
		// Not in the database: judged by the name.
		{"unknown-256color", env("TERM", "unknown-256color"), 256},
		{"unknown-direct", env("TERM", "unknown-direct"), 256},
		{"unknown-16color", env("TERM", "unknown-16color"), 16},
		{"unknown-mono", env("TERM", "unknown-mono"), 0},
		{"no such term", env("TERM", "nosuchterm"), 8},
		{"empty", env(), 0},
		// A name that would leave the database is not looked up.
		{"slash", env("TERM", "../terminfo/x/xterm"), 8},
		{"dot", env("TERM", "."), 8},
		// An entry found in $TERMINFO_DIRS, in macOS's hexadecimal layout;
		// an empty element stands for the system's directories.
		{"TERMINFO_DIRS hex", env("TERMINFO", "", "TERMINFO_DIRS", ":testdata/terminfo-hex", "TERM", "xterm-256color"), 256},
	} {
		if got := Count(tc.env); got != tc.want {
			t.Errorf("%s: Count = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestDatabaseBeforeName: the entry wins over what the name suggests.
func TestDatabaseBeforeName(t *testing.T) {
	dir := t.TempDir()
	entry, err := os.ReadFile("testdata/terminfo/x/xterm")
	if err != nil {
		t.Fatal(err)
	}
	// An 8-colour entry under a 256-colour name (a user's own ~/.terminfo).
	if err := os.MkdirAll(filepath.Join(dir, ".terminfo", "f"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".terminfo", "f", "fake-256color"), entry, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Count(env("TERMINFO", "", "HOME", dir, "TERM", "fake-256color")); got != 8 {
		t.Errorf("Count = %d, want the entry's 8", got)
	}
	// A file that is not an entry is passed over: the name decides.
	if err := os.WriteFile(filepath.Join(dir, ".terminfo", "f", "fake-256color"), []byte("not terminfo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Count(env("TERMINFO", "", "HOME", dir, "TERM", "fake-256color")); got != 256 {
		t.Errorf("Count with a broken entry = %d, want the name's 256", got)
	}
}

// TestSystemDatabase reads this machine's entry for xterm-256color, which
// Debian's ncurses-base installs in /lib/terminfo.
func TestSystemDatabase(t *testing.T) {
	if _, err := os.Stat("/lib/terminfo/x/xterm-256color"); err != nil {
		t.Skip("no /lib/terminfo/x/xterm-256color here")
	}
	getenv := func(k string) string {
		if k == "TERM" {
			return "xterm-256color"
		}
		return ""
	}
	if n, ok := fromTerminfo("xterm-256color", getenv); !ok || n != 256 {
		t.Errorf("fromTerminfo = %d, %v; want 256 from the system database", n, ok)
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []string{"x/xterm", "x/xterm-256color", "x/xterm-direct", "t/tmux-256color", "d/dumb"} {
		b, err := os.ReadFile(filepath.Join("testdata/terminfo", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, entry []byte) {
		n, err := Decode(entry)
		if err != nil && n != 0 {
			t.Fatalf("Decode = %d with error %v", n, err)
		}
		if n < 0 {
			t.Fatalf("Decode = %d", n)
		}
	})
}
