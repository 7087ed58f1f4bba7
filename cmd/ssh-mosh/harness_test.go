package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// The interop tests run our client as a user would: a real binary in a tmux
// pane, against a real mosh-server or ours, with keys typed through tmux and
// the screen read back from it.

// waitLong bounds every wait for a screen or a process. Loopback answers in
// milliseconds; the bound only matters on a loaded machine (the whole
// package's interop tests run at once on two cores).
const waitLong = 30 * time.Second

// ourClient is one way to start our client binary.
type ourClient struct {
	name string
	// argv returns the command line for a server on 127.0.0.1:port; the
	// key travels in MOSH_KEY.
	argv func(t *testing.T, port int) []string
}

// ourClients are the two personalities of the client: the mosh-client
// drop-in (selected by argv[0], through a symlink as installers make it)
// and `ssh-mosh --connect`.
var ourClients = []ourClient{
	{"mosh-client", func(t *testing.T, port int) []string {
		return []string{moshClientLink(t), "127.0.0.1", strconv.Itoa(port)}
	}},
	{"connect", func(t *testing.T, port int) []string {
		return []string{testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh"), "--connect", "127.0.0.1", strconv.Itoa(port)}
	}},
}

// moshClientLink returns a symlink named mosh-client to our binary, in a
// directory of the test's own.
func moshClientLink(t *testing.T) string {
	t.Helper()
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	link := filepath.Join(t.TempDir(), "mosh-client")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// serverKind picks the mosh-server a test talks to.
type serverKind struct {
	name string
	bin  func(t *testing.T) string // "" = the real one
}

var serverKinds = []serverKind{
	{"real", func(t *testing.T) string { testenv.MustHaveExec(t, "mosh-server"); return "" }},
	{"ours", func(t *testing.T) string { return testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server") }},
}

// startServer starts a detached mosh-server running /bin/sh with a fixed
// prompt, so screens are the same whatever the user's shell.
func startServer(t *testing.T, k serverKind, env ...string) *testenv.MoshServer {
	t.Helper()
	env = append([]string{"PS1=$ ", "ENV="}, env...)
	return testenv.StartMoshServerEnv(t, k.bin(t), env, "--", "/bin/sh")
}

// sttyWrapper runs the client and records the outer terminal's settings
// before and after it, as the user's shell would see them. The exit status
// is the client's.
const sttyWrapper = `d=$1; shift
stty -a >"$d/stty.before"
"$@"
st=$?
stty -a >"$d/stty.after"
exit "$st"`

// clientPane is our client in a tmux pane, attached to a server.
type clientPane struct {
	*testenv.Tmux
	t   *testing.T
	dir string // holds the stty records
}

// startClient runs argv in tmux under sttyWrapper, with env (KEY=value
// pairs, e.g. MOSH_KEY) added to its environment.
func startClient(t *testing.T, opts testenv.TmuxOptions, argv []string, env ...string) *clientPane {
	t.Helper()
	dir := t.TempDir()
	opts.Env = append(opts.Env, env...)
	full := append([]string{"/bin/sh", "-c", sttyWrapper, "wrapper", dir}, argv...)
	return &clientPane{Tmux: testenv.StartTmux(t, opts, full...), t: t, dir: dir}
}

// run types a shell command line and waits for want on the screen.
func (s *clientPane) run(cmd, want string) string {
	s.t.Helper()
	s.SendText(cmd)
	s.SendKeys("Enter")
	return waitTrimmed(s.Tmux, want)
}

// waitTrimmed waits for want on the screen with trailing blanks of each
// row removed: the real mosh-server may write blanks where a terminal
// would have erased, and tmux's capture-pane -N reports as blanks the
// cells an erase cleared where the row held longer text before (a display
// that redraws a row over an older one). Either way the blanks are not the
// program's output, and a want ending in "\n" must not depend on them.
func waitTrimmed(m *testenv.Tmux, want string) string {
	return m.WaitForFunc(fmt.Sprintf("%q", want), func(screen string) bool {
		return strings.Contains(trimRows(screen), want)
	}, waitLong)
}

var sttySize = regexp.MustCompile(`rows \d+; columns \d+;`)

// sttyUnchanged checks that the outer terminal's settings after the client
// are those before it.
func (s *clientPane) sttyUnchanged() {
	s.t.Helper()
	before, err1 := os.ReadFile(filepath.Join(s.dir, "stty.before"))
	after, err2 := os.ReadFile(filepath.Join(s.dir, "stty.after"))
	if err1 != nil || err2 != nil {
		s.t.Fatalf("stty records: %v, %v", err1, err2)
	}
	// The size is not a setting: tests resize the terminal.
	b, a := sttySize.ReplaceAllString(string(before), ""), sttySize.ReplaceAllString(string(after), "")
	if len(b) == 0 || a != b {
		s.t.Errorf("terminal settings changed by the client:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// escapeHelp starts the bar shown after the escape key, by the real
// mosh-client and by ours (which goes on with its status key).
const escapeHelp = `mosh: Commands: Ctrl-Z suspends, "." quits, "`

// quit types the escape sequence Ctrl-^ . (checking the help bar in
// between) and expects a clean exit.
func (s *clientPane) quit() {
	s.t.Helper()
	s.SendHex(0x1e)
	s.WaitFor(escapeHelp, waitLong)
	s.SendText(".")
	s.expectCleanExit("Ctrl-^ .")
}

// expectCleanExit waits for the client to exit with status 0 and without
// mosh's complaint about an unclean shutdown.
func (s *clientPane) expectCleanExit(after string) {
	s.t.Helper()
	st := s.WaitExit(waitLong)
	screen := s.Capture()
	if st != 0 {
		s.t.Fatalf("client exit status %d after %s; screen:\n%s", st, after, testenv.FrameScreen(screen))
	}
	if strings.Contains(screen, "did not shut down cleanly") || strings.Contains(screen, "did not make a successful connection") {
		s.t.Fatalf("client complained after %s:\n%s", after, testenv.FrameScreen(screen))
	}
}

// numberedFile writes n lines "line-001"… into a temp file.
func numberedFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("line-")
		b.WriteString(leftPad(strconv.Itoa(i), 3))
		b.WriteString("\n")
	}
	p := filepath.Join(t.TempDir(), "lines.txt")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func leftPad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// directScreen runs argv straight in a tmux pane (no mosh) of the given
// size with TERM as a mosh-server gives its child, and returns the screen
// once ready accepts it: the reference a session's screen must equal.
func directScreen(t *testing.T, w, h int, ready func(string) bool, argv ...string) string {
	t.Helper()
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: w, Height: h, Term: "xterm"}, argv...)
	return m.WaitForFunc("reference screen", ready, waitLong)
}

// trimRows drops the spaces at the end of each row: a client may clear a
// row's end by writing blanks, which tmux then reports, where a program on
// a plain terminal erased it.
func trimRows(screen string) string {
	rows := strings.Split(screen, "\n")
	for i, r := range rows {
		rows[i] = strings.TrimRight(r, " ")
	}
	return strings.Join(rows, "\n")
}
