package testenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const waitLong = 10 * time.Second

// startSh starts an interactive sh in tmux and waits for its prompt. dash
// ignores PS1 from the environment, so the prompt is "# " as root.
func startSh(t *testing.T, opts TmuxOptions) *Tmux {
	t.Helper()
	opts.Env = append(opts.Env, "ENV=")
	m := StartTmux(t, opts, "/bin/sh")
	m.WaitForFunc("a shell prompt", func(s string) bool {
		return strings.HasPrefix(s, "# ") || strings.HasPrefix(s, "$ ")
	}, waitLong)
	return m
}

func TestTmuxTypeAndCapture(t *testing.T) {
	m := startSh(t, TmuxOptions{Width: 50, Height: 7})
	m.SendText("echo out-$((6*7))")
	m.SendKeys("Enter")
	screen := m.WaitFor("out-42", waitLong)
	rows := strings.Split(strings.TrimSuffix(screen, "\n"), "\n")
	if len(rows) != 7 {
		t.Fatalf("capture has %d rows, want 7:\n%s", len(rows), FrameScreen(screen))
	}
	if rows[0][2:] != "echo out-$((6*7))" || rows[1] != "out-42" {
		t.Fatalf("unexpected screen:\n%s", FrameScreen(screen))
	}
	if w, h := m.Size(); w != 50 || h != 7 {
		t.Fatalf("size %dx%d, want 50x7", w, h)
	}
	if x, y := m.Cursor(); x != 2 || y != 2 {
		t.Fatalf("cursor at %d,%d, want 2,2 after the second prompt", x, y)
	}
}

func TestTmuxKeepsTrailingSpaces(t *testing.T) {
	m := startSh(t, TmuxOptions{})
	m.SendText(`printf 'pw: '; read x`)
	m.SendKeys("Enter")
	m.WaitForFunc("a row that is exactly \"pw: \"", func(s string) bool {
		for _, r := range strings.Split(s, "\n") {
			if r == "pw: " {
				return true
			}
		}
		return false
	}, waitLong)
}

func TestTmuxSendHexAndKeys(t *testing.T) {
	m := startSh(t, TmuxOptions{})
	// od shows the bytes it gets: 0x1e (Ctrl-^) sent raw, C-c as a key
	// name would kill it, so end the input with C-d.
	m.SendText("stty raw -echo; od -An -tx1 -N3; stty sane")
	m.SendKeys("Enter")
	m.SendHex(0x1e, 0x41)
	m.SendKeys("C-a")
	m.WaitFor("1e 41 01", waitLong)
}

func TestTmuxStyledTitleResize(t *testing.T) {
	m := startSh(t, TmuxOptions{Width: 40, Height: 10})
	// The typed line must not contain what is waited for.
	m.SendText(`printf '\033]2;my-title\007\033[1mBO%sLD\033[0m\n' ''`)
	m.SendKeys("Enter")
	m.WaitFor("BOLD", waitLong)
	if got := m.Title(); got != "my-title" {
		t.Fatalf("title %q, want my-title", got)
	}
	if styled := m.CaptureStyled(); !strings.Contains(styled, "\x1b[1mBOLD") {
		t.Fatalf("styled capture lacks bold BOLD: %q", styled)
	}
	if plain := m.Capture(); strings.Contains(plain, "\x1b") {
		t.Fatalf("plain capture holds escapes: %q", plain)
	}
	m.Resize(60, 12)
	m.SendText("stty size")
	m.SendKeys("Enter")
	m.WaitFor("12 60", waitLong)
}

func TestTmuxExitStatus(t *testing.T) {
	m := StartTmux(t, TmuxOptions{}, "/bin/sh", "-c", "echo bye; exit 7")
	if st := m.WaitExit(waitLong); st != 7 {
		t.Fatalf("exit status %d, want 7", st)
	}
	// remain-on-exit keeps what the program wrote, without a banner.
	screen := m.Capture()
	if !strings.HasPrefix(screen, "bye\n") || strings.Contains(screen, "dead") {
		t.Fatalf("screen after exit:\n%s", FrameScreen(screen))
	}
	if Alive(m.PanePID()) {
		t.Fatalf("pane pid %d still alive", m.PanePID())
	}
}

func TestTmuxWaitForFailsFastWhenProgramExits(t *testing.T) {
	m := StartTmux(t, TmuxOptions{}, "/bin/sh", "-c", "echo nope; exit 3")
	ft := &fakeTB{TB: t}
	m.t = ft
	start := time.Now()
	ft.run(func(testing.TB) { m.WaitFor("never-printed", time.Minute) })
	m.t = t
	msg := strings.Join(ft.msgs, "")
	if !ft.failed || !strings.Contains(msg, "status 3") || !strings.Contains(msg, "nope") {
		t.Fatalf("failed=%v msg=%q", ft.failed, msg)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("WaitFor took %v to notice the exit", d)
	}
}

func TestTmuxExitBySignal(t *testing.T) {
	m := StartTmux(t, TmuxOptions{}, "/bin/sh", "-c", "kill -KILL $$")
	if st := m.WaitExit(waitLong); st != 128+9 {
		t.Fatalf("exit status %d, want 137", st)
	}
}

func TestTmuxEnvDirTerm(t *testing.T) {
	dir := t.TempDir()
	m := StartTmux(t, TmuxOptions{Env: []string{"FOO=bar baz"}, Dir: dir, Term: "xterm-256color"},
		"/bin/sh", "-c", `printf '%s|%s|%s|%s\n' "$FOO" "$PWD" "$TERM" "$LANG"; sleep 60`)
	m.WaitFor("bar baz|"+dir+"|xterm-256color|C.UTF-8", waitLong)
}

func TestTmuxSingleArgIsExeced(t *testing.T) {
	// A single argument holding a space is a path, not a shell command,
	// and the pane's pid is the program's own.
	dir := filepath.Join(t.TempDir(), "a b")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "prog")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"pid=$$ ppid=$PPID\"; exec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	m := StartTmux(t, TmuxOptions{}, script)
	m.WaitFor("pid=", waitLong)
	if !strings.Contains(m.Capture(), "pid="+itoa(m.PanePID())+" ") {
		t.Fatalf("pane pid %d is not the program:\n%s", m.PanePID(), m.Capture())
	}
}

func TestTmuxCleanupStopsEverything(t *testing.T) {
	var server, pane int
	var child []int
	t.Run("inner", func(t *testing.T) {
		m := StartTmux(t, TmuxOptions{}, "/bin/sh", "-c", "trap '' HUP; sleep 300 & echo started; wait")
		m.WaitFor("started", waitLong)
		server, pane = m.ServerPID(), m.PanePID()
		child = Descendants(pane)
		if len(child) == 0 {
			t.Fatal("no child of the pane program found")
		}
	})
	for _, pid := range append([]int{server, pane}, child...) {
		if !WaitGone(pid, 5*time.Second) {
			t.Errorf("pid %d survived the cleanup", pid)
		}
	}
}

func TestTmuxControlCapture(t *testing.T) {
	m := startSh(t, TmuxOptions{Width: 30, Height: 5})
	c := m.Control()
	m.SendText("echo ctl-$((2+3))")
	m.SendKeys("Enter")
	want := m.WaitFor("ctl-5", waitLong)
	got, err := c.Capture()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("control capture differs from capture-pane:\ncontrol:\n%sexec:\n%s", FrameScreen(got), FrameScreen(want))
	}
	// The control client must not resize the window.
	if w, h := m.Size(); w != 30 || h != 5 {
		t.Fatalf("size %dx%d after control attach, want 30x5", w, h)
	}
	x, y, err := c.Cursor()
	if err != nil {
		t.Fatal(err)
	}
	if ex, ey := m.Cursor(); x != ex || y != ey {
		t.Fatalf("control cursor %d,%d, exec cursor %d,%d", x, y, ex, ey)
	}
	// A rejected command is an error and does not desynchronize replies.
	if _, err := c.Command("no-such-command"); err == nil {
		t.Fatal("no error for an unknown command")
	}
	if got, err := c.Capture(); err != nil || got != want {
		t.Fatalf("capture after an error: %v\n%s", err, got)
	}
	pid := c.cmd.Process.Pid
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if !WaitGone(pid, 5*time.Second) {
		t.Fatalf("control client %d still running after Close", pid)
	}
	if _, err := c.Capture(); err == nil {
		t.Fatal("capture after close succeeded")
	}
}

func TestTmuxControlSkipsForeignBlocks(t *testing.T) {
	m := startSh(t, TmuxOptions{})
	c := m.Control()
	// Output notifications are off, but pane activity still produces
	// other notifications; interleave them with many commands.
	for i := 0; i < 50; i++ {
		lines, err := c.Command("display-message -p '#{e|+:" + itoa(i) + ",1000}'")
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 1 || lines[0] != itoa(i+1000) {
			t.Fatalf("reply %d: %q", i, lines)
		}
		if i%10 == 0 {
			m.SendText("x")
		}
	}
}

func TestTmuxControlAwaitOutput(t *testing.T) {
	m := startSh(t, TmuxOptions{Width: 30, Height: 5})
	if _, err := m.Control().AwaitOutput(time.Millisecond); err == nil {
		t.Fatal("AwaitOutput on a client without output: no error")
	}
	c := m.ControlOutput()
	// Nothing written: the wait ends at its timeout, with an error.
	if _, err := c.AwaitOutput(50 * time.Millisecond); err == nil {
		t.Fatal("AwaitOutput returned with nothing written")
	}
	// The echo of typed text wakes it, after the send.
	sent := time.Now()
	if _, err := c.Command("send-keys -l z"); err != nil {
		t.Fatal(err)
	}
	at, err := c.AwaitOutput(waitLong)
	if err != nil {
		t.Fatal(err)
	}
	if at.Before(sent) {
		t.Fatalf("output read at %v, before the key was sent at %v", at, sent)
	}
	// Output read while a command's reply was awaited is kept for the
	// next AwaitOutput, which then returns at once with that time.
	if _, err := c.Command("send-keys -l y"); err != nil {
		t.Fatal(err)
	}
	m.WaitFor("zy", waitLong) // the echo is in the pipe, not yet read
	before := time.Now()
	if got, err := c.Capture(); err != nil || !strings.Contains(got, "zy") {
		t.Fatalf("capture: %v\n%s", err, got)
	}
	after := time.Now()
	at, err = c.AwaitOutput(time.Millisecond)
	if err != nil {
		t.Fatalf("output read during the capture was not kept: %v", err)
	}
	if at.Before(before) || at.After(after) {
		t.Fatalf("kept output read at %v, not during the capture (%v-%v)", at, before, after)
	}
	// And it is returned once.
	if _, err := c.AwaitOutput(50 * time.Millisecond); err == nil {
		t.Fatal("kept output returned twice")
	}
	// TakeOutput returns what a capture read, without waiting.
	if _, ok := c.TakeOutput(); ok {
		t.Fatal("TakeOutput with nothing kept")
	}
	if _, err := c.Command("send-keys -l x"); err != nil {
		t.Fatal(err)
	}
	m.WaitFor("zyx", waitLong)
	before = time.Now()
	if _, err := c.Capture(); err != nil {
		t.Fatal(err)
	}
	at, ok := c.TakeOutput()
	if !ok || at.Before(before) {
		t.Fatalf("TakeOutput after a capture that read output: %v %v (capture began %v)", at, ok, before)
	}
	if _, ok := c.TakeOutput(); ok {
		t.Fatal("TakeOutput returned the same output twice")
	}
}

func BenchmarkTmuxControlCapture(b *testing.B) {
	m := StartTmux(b, TmuxOptions{}, "/bin/sh")
	c := m.Control()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Capture(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTmuxExecCapture(b *testing.B) {
	m := StartTmux(b, TmuxOptions{}, "/bin/sh")
	b.ResetTimer()
	for b.Loop() {
		m.Capture()
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/bin/sh":  "/bin/sh",
		"":         "''",
		"a b":      "'a b'",
		"it's":     `'it'\''s'`,
		"$HOME":    "'$HOME'",
		"x=1,y@2%": "x=1,y@2%",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFrameScreen(t *testing.T) {
	got := FrameScreen("ab \n\n")
	if !strings.Contains(got, " 0 |ab |\n") || !strings.Contains(got, " 1 ||\n") {
		t.Fatalf("FrameScreen:\n%s", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
