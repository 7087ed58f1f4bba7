package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmuxSession is the name of the one session each private server holds.
const tmuxSession = "S"

// tmuxCommandTimeout bounds one tmux client invocation, so a wedged server
// fails the test instead of hanging it.
const tmuxCommandTimeout = 10 * time.Second

// tmuxPollInterval is how often WaitFor re-reads the screen. One tmux client
// costs 2–3 ms, so polling faster only burns the shared CPU.
const tmuxPollInterval = 10 * time.Millisecond

// TmuxOptions configure the terminal a program runs in.
type TmuxOptions struct {
	// Width and Height are the terminal size; 0 means 80×24.
	Width, Height int
	// Env holds KEY=value pairs added to the program's environment.
	Env []string
	// Dir is the program's working directory; "" means the test's.
	Dir string
	// Term is the TERM the program sees (tmux's default-terminal);
	// "" keeps tmux's default, tmux-256color on this tmux.
	Term string
	// HistoryLimit is the pane's scrollback in lines; 0 keeps tmux's
	// default (2000).
	HistoryLimit int
}

// Tmux is a program running in a detached session of a private tmux server,
// read back as a screen. Its methods must be called from the test's
// goroutine: failures end the test with t.Fatalf.
type Tmux struct {
	t          testing.TB
	bin        string
	socket     string
	env        []string
	dir        string // holds the socket and the wrapper's pid and status files
	serverPID  int
	wrapperPID int // the pane's own process, see paneWrapper
	panePID    int // the program
}

// StartTmux runs argv (no shell involved; none means $SHELL) in a detached
// session of a private tmux server of the given size. The pane stays after
// the program exits, showing what it left, and Exited reads its status.
// The program runs under a small sh wrapper (see paneWrapper), which is
// invisible to it except as its parent. The server, the program and its
// descendants are stopped by pid at cleanup.
func StartTmux(t testing.TB, opts TmuxOptions, argv ...string) *Tmux {
	t.Helper()
	bin := MustHaveExec(t, "tmux")
	if opts.Width <= 0 {
		opts.Width = 80
	}
	if opts.Height <= 0 {
		opts.Height = 24
	}
	dir := shortTempDir(t)
	m := &Tmux{
		t:      t,
		bin:    bin,
		dir:    dir,
		socket: filepath.Join(dir, "sock"),
		env:    tmuxServerEnv(os.Environ()),
	}

	// Options that shape the pane go before new-session, so they hold
	// from the program's first byte: no status line (the pane is the
	// whole window), remain-on-exit with an empty dead-pane banner (the
	// screen stays as the program left it), no escape delay.
	// window-size must come after new-session: tmux 3.3 crashes setting
	// it on a server without sessions. "manual" keeps the size fixed
	// when a control client attaches.
	args := []string{
		"set-option", "-g", "status", "off", ";",
		"set-option", "-wg", "remain-on-exit", "on", ";",
		"set-option", "-wg", "remain-on-exit-format", "", ";",
		"set-option", "-s", "escape-time", "0", ";",
	}
	if opts.Term != "" {
		args = append(args, "set-option", "-s", "default-terminal", opts.Term, ";")
	}
	if opts.HistoryLimit > 0 {
		args = append(args, "set-option", "-g", "history-limit", strconv.Itoa(opts.HistoryLimit), ";")
	}
	args = append(args, "new-session", "-d", "-s", tmuxSession,
		"-x", strconv.Itoa(opts.Width), "-y", strconv.Itoa(opts.Height))
	if opts.Dir != "" {
		args = append(args, "-c", opts.Dir)
	}
	for _, kv := range opts.Env {
		args = append(args, "-e", kv)
	}
	if len(argv) == 0 {
		argv = []string{"/bin/sh"}
		if sh := os.Getenv("SHELL"); sh != "" {
			argv[0] = sh
		}
	}
	args = append(args, "--", "/bin/sh", "-c", paneWrapper, "testenv-pane", m.dir)
	args = append(args, argv...)
	args = append(args, ";", "set-option", "-wg", "window-size", "manual")

	// Register the cleanup before starting: a half-started server is
	// still found through its socket.
	t.Cleanup(m.stop)
	if _, err := m.run(args...); err != nil {
		t.Fatalf("testenv: start tmux: %v", err)
	}
	out, err := m.run("display-message", "-p", "-t", tmuxSession, "#{pid} #{pane_pid}")
	if err != nil {
		t.Fatalf("testenv: tmux pids: %v", err)
	}
	if _, err := fmt.Sscan(out, &m.serverPID, &m.wrapperPID); err != nil {
		t.Fatalf("testenv: tmux pids %q: %v", out, err)
	}
	m.panePID = m.awaitProgramPID()
	return m
}

// paneWrapper runs the program in the pane as a child and records its pid
// and exit status in files. tmux 3.3 cannot be trusted with either: when
// the pty's EOF beats SIGCHLD, pane_dead_status stays empty for good, and
// the last output of a program that exits at once is sometimes lost.
//
// The program gets its pid recorded by an intermediate sh that then execs
// it, so PanePID is the program itself. INT and QUIT are caught, not
// ignored, so the program (after exec) still dies of them while the wrapper
// lives on to record the status, 128+n for signal n as sh reports it. The
// short linger before exiting lets tmux drain the pty.
const paneWrapper = `d=$1; shift
trap : INT QUIT
/bin/sh -c 'echo $$ >"$0"; exec "$@"' "$d/pid" "$@"
st=$?
echo "$st" >"$d/status"
sleep 0.05
exit "$st"`

// awaitProgramPID waits for the wrapper to record the program's pid.
func (m *Tmux) awaitProgramPID() int {
	m.t.Helper()
	deadline := time.Now().Add(tmuxCommandTimeout)
	for {
		if pid, ok := readIntFile(filepath.Join(m.dir, "pid")); ok {
			return pid
		}
		if !Alive(m.wrapperPID) || time.Now().After(deadline) {
			m.t.Fatalf("testenv: the program in tmux did not start; screen:\n%s", FrameScreen(m.Capture()))
		}
		time.Sleep(time.Millisecond)
	}
}

// readIntFile reads a file holding one decimal number and a newline; a
// file without the newline is still being written.
func readIntFile(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 || b[len(b)-1] != '\n' {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}

// tmuxServerEnv is the environment of the private server, which every pane
// inherits: a UTF-8 locale (tmux and mosh both need one) and nothing that
// points at the developer's own tmux.
func tmuxServerEnv(base []string) []string {
	env := make([]string, 0, len(base))
	for _, kv := range utf8Env(base) {
		if name, _, _ := strings.Cut(kv, "="); name != "TMUX" && name != "TMUX_PANE" {
			env = append(env, kv)
		}
	}
	return env
}

// shortTempDir returns a per-test directory whose path fits a Unix socket
// address (108 bytes): t.TempDir paths grow with the test's name.
func shortTempDir(t testing.TB) string {
	t.Helper()
	if dir := t.TempDir(); len(dir) < 80 {
		return dir
	}
	dir, err := os.MkdirTemp("/tmp", "te")
	if err != nil {
		t.Fatalf("testenv: temp dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// run runs one tmux client command against the private server.
func (m *Tmux) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tmuxCommandTimeout)
	defer cancel()
	full := append([]string{"-u", "-S", m.socket, "-f", "/dev/null"}, args...)
	cmd := exec.CommandContext(ctx, m.bin, full...)
	cmd.Env = m.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("testenv: tmux %s: %w: %s",
			strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// must runs a tmux command and fails the test when it fails.
func (m *Tmux) must(args ...string) string {
	m.t.Helper()
	out, err := m.run(args...)
	if err != nil {
		m.t.Fatal(err)
	}
	return out
}

// stop ends the program (and what it started), then the server, by pid.
// The program first gets SIGHUP, as when a terminal closes: an interactive
// shell ignores SIGTERM and would cost the whole grace period.
func (m *Tmux) stop() {
	var pids []int
	if m.wrapperPID > 0 && !m.paneDead() {
		pids = append([]int{m.wrapperPID}, Descendants(m.wrapperPID)...)
	}
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGHUP)
	}
	_, _ = m.run("kill-server")
	deadline := time.Now().Add(time.Second)
	for _, p := range pids {
		if !WaitGone(p, time.Until(deadline)) {
			KillPID(p)
		}
	}
	KillPID(m.serverPID)
}

func (m *Tmux) paneDead() bool {
	out, err := m.run("display-message", "-p", "-t", tmuxSession, "#{pane_dead}")
	return err == nil && strings.TrimSpace(out) == "1"
}

// SendKeys sends tmux key names: "Enter", "C-c", "Up", "Escape", "F1", ….
func (m *Tmux) SendKeys(keys ...string) {
	m.t.Helper()
	m.must(append([]string{"send-keys", "-t", tmuxSession}, keys...)...)
}

// SendText types s literally.
func (m *Tmux) SendText(s string) {
	m.t.Helper()
	if s == "" {
		return
	}
	m.must("send-keys", "-t", tmuxSession, "-l", "--", s)
}

// SendHex sends raw bytes, e.g. 0x1e for Ctrl-^.
func (m *Tmux) SendHex(b ...byte) {
	m.t.Helper()
	if len(b) == 0 {
		return
	}
	args := []string{"send-keys", "-t", tmuxSession, "-H"}
	for _, c := range b {
		args = append(args, fmt.Sprintf("%02x", c))
	}
	m.must(args...)
}

// Capture returns the visible screen, one line per row, each ending in
// "\n". Spaces the program wrote at the end of a row are kept; cells never
// written are not padded.
func (m *Tmux) Capture() string {
	m.t.Helper()
	return m.must("capture-pane", "-p", "-N", "-t", tmuxSession)
}

// CaptureHistory is Capture of the pane's scrollback followed by its
// screen (capture-pane -S -), one line per row; with styled, SGR escape
// sequences for the attributes as in CaptureStyled.
func (m *Tmux) CaptureHistory(styled bool) string {
	m.t.Helper()
	args := []string{"capture-pane", "-p", "-N", "-S", "-", "-t", tmuxSession}
	if styled {
		args = append(args, "-e")
	}
	return m.must(args...)
}

// CaptureStyled is Capture with SGR escape sequences for the attributes.
func (m *Tmux) CaptureStyled() string {
	m.t.Helper()
	return m.must("capture-pane", "-p", "-N", "-e", "-t", tmuxSession)
}

// format evaluates a tmux format string for the pane.
func (m *Tmux) format(f string) string {
	m.t.Helper()
	return strings.TrimSuffix(m.must("display-message", "-p", "-t", tmuxSession, f), "\n")
}

// Cursor returns the cursor position, zero-based from the top left.
func (m *Tmux) Cursor() (x, y int) {
	m.t.Helper()
	out := m.format("#{cursor_x} #{cursor_y}")
	if _, err := fmt.Sscan(out, &x, &y); err != nil {
		m.t.Fatalf("testenv: tmux cursor %q: %v", out, err)
	}
	return x, y
}

// Size returns the pane's size in cells.
func (m *Tmux) Size() (w, h int) {
	m.t.Helper()
	out := m.format("#{pane_width} #{pane_height}")
	if _, err := fmt.Sscan(out, &w, &h); err != nil {
		m.t.Fatalf("testenv: tmux size %q: %v", out, err)
	}
	return w, h
}

// Title returns the title the program set (OSC 0/2), or tmux's default,
// the host name, when it set none.
func (m *Tmux) Title() string {
	m.t.Helper()
	return m.format("#{pane_title}")
}

// Resize changes the terminal size; the program gets SIGWINCH.
func (m *Tmux) Resize(w, h int) {
	m.t.Helper()
	m.must("resize-window", "-t", tmuxSession, "-x", strconv.Itoa(w), "-y", strconv.Itoa(h))
}

// WaitFor polls the screen until it contains substr and returns it; on
// timeout it fails the test showing the last screen.
func (m *Tmux) WaitFor(substr string, timeout time.Duration) string {
	m.t.Helper()
	return m.WaitForFunc(fmt.Sprintf("%q on screen", substr), func(s string) bool {
		return strings.Contains(s, substr)
	}, timeout)
}

// WaitForFunc polls the screen until f accepts it and returns it; on
// timeout, or as soon as the program has exited without f accepting its
// last screen, it fails the test with desc and that screen.
func (m *Tmux) WaitForFunc(desc string, f func(screen string) bool, timeout time.Duration) string {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		// Read the status before the screen: a program that has exited
		// has written its last output, so a screen read after it is final.
		st, exited := readIntFile(filepath.Join(m.dir, "status"))
		screen := m.Capture()
		if f(screen) {
			return screen
		}
		if exited {
			m.t.Fatalf("testenv: the program exited with status %d while waiting for %s; screen:\n%s", st, desc, FrameScreen(screen))
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("testenv: timed out after %v waiting for %s; screen:\n%s", timeout, desc, FrameScreen(screen))
		}
		time.Sleep(tmuxPollInterval)
	}
}

// PanePID returns the pid of the program started in the pane.
func (m *Tmux) PanePID() int { return m.panePID }

// ServerPID returns the pid of the private tmux server.
func (m *Tmux) ServerPID() int { return m.serverPID }

// Socket returns the private server's socket, for `tmux -S` by hand.
func (m *Tmux) Socket() string { return m.socket }

// Exited reports whether the program has exited and, if so, its exit
// status (128+n when killed by signal n, as a shell would say).
func (m *Tmux) Exited() (bool, int) {
	m.t.Helper()
	if st, ok := readIntFile(filepath.Join(m.dir, "status")); ok {
		return true, st
	}
	if !m.paneDead() {
		return false, 0
	}
	// The program may have ended, and the wrapper recorded its status and
	// exited, since the read above (the wrapper lingers only 50 ms, less
	// than a loaded machine can take between the two looks).
	if st, ok := readIntFile(filepath.Join(m.dir, "status")); ok {
		return true, st
	}
	// The wrapper itself was killed before it could record the status:
	// ask tmux, which may know.
	f := strings.Split(m.format("#{pane_dead_status}:#{pane_dead_signal}"), ":")
	if st, err := strconv.Atoi(f[0]); err == nil {
		return true, st
	}
	if len(f) == 2 {
		if sig, err := strconv.Atoi(f[1]); err == nil {
			return true, 128 + sig
		}
	}
	return true, -1
}

// WaitExit waits for the program to exit and returns its status; on
// timeout it fails the test with the screen.
func (m *Tmux) WaitExit(timeout time.Duration) int {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if dead, st := m.Exited(); dead {
			return st
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("testenv: timed out after %v waiting for the program to exit; screen:\n%s",
				timeout, FrameScreen(m.Capture()))
		}
		time.Sleep(tmuxPollInterval)
	}
}

// FrameScreen draws a captured screen between rulers with row numbers, so
// that blank rows and trailing spaces show in failure messages.
func FrameScreen(screen string) string {
	var b strings.Builder
	rows := strings.Split(strings.TrimSuffix(screen, "\n"), "\n")
	b.WriteString("   +" + strings.Repeat("-", 40) + "\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "%2d |%s|\n", i, r)
	}
	b.WriteString("   +" + strings.Repeat("-", 40) + "\n")
	return b.String()
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
