package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// newRCFixture is newRemoteFixture with a remote HOME holding bashrc as
// .bashrc: Debian's bash reads it for every command sshd runs, so it runs
// before the start-up of mosh-server, as a user's own rc file would.
func newRCFixture(t *testing.T, bashrc string) *remoteFixture {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".bashrc"), []byte(bashrc), 0o644); err != nil {
		t.Fatal(err)
	}
	return newRemoteFixtureWith(t, "SetEnv HOME="+home)
}

// jobWrapper is sttyWrapper with job control (set -m): the client runs as
// the terminal's foreground job, as an interactive shell runs it, so a
// Ctrl-C reaches the client alone and the wrapper lives to record the
// terminal's settings and the status.
const jobWrapper = "set -m\n" + sttyWrapper

// startJob runs argv in tmux under jobWrapper, the screen wide enough to
// hold a one-line message unwrapped.
func startJob(t *testing.T, argv ...string) *clientPane {
	t.Helper()
	dir := t.TempDir()
	full := append([]string{"/bin/sh", "-c", jobWrapper, "wrapper", dir}, argv...)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 400, Height: 24, Env: []string{"SSH_AUTH_SOCK="}}, full...)
	return &clientPane{Tmux: m, t: t, dir: dir}
}

// oneErrorLine returns the screen's only non-blank line, failing unless
// there is exactly one and it is an ssh-mosh message.
func oneErrorLine(t *testing.T, screen string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, " "))
		}
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "ssh-mosh: ") || strings.Count(lines[0], "ssh-mosh:") != 1 {
		t.Fatalf("want one ssh-mosh line on the screen:\n%s", testenv.FrameScreen(screen))
	}
	return lines[0]
}

// TestStartRCFloods: a remote rc file that prints without end no longer
// keeps ssh-mosh waiting on a blank screen: after 4 MiB it ends with one
// line quoting the output, status 255, the terminal as it was, and
// nothing left on the remote.
func TestStartRCFloods(t *testing.T) {
	f := newRCFixture(t, "while :; do echo 'flood from bashrc'; done\n")
	m := startJob(t, f.sshMosh, "-F", f.config, "--server="+f.server, "target")
	start := time.Now()
	if st := m.WaitExit(waitLong); st != 255 {
		t.Fatalf("status %d, want 255; screen:\n%s", st, testenv.FrameScreen(m.Capture()))
	}
	t.Logf("ended after %v", time.Since(start).Round(time.Millisecond))
	line := oneErrorLine(t, m.Capture())
	want := regexp.MustCompile(`^ssh-mosh: mosh-server on target did not start after 4 MiB of output; the remote printed "flood from bashrc\\nflood from bashrc\\n.*"… instead of its start-up lines: check the remote shell's startup files \(e\.g\. ~/\.bashrc\) for output or waits$`)
	if !want.MatchString(line) {
		t.Errorf("message:\n%s", line)
	}
	m.sttyUnchanged()
	wantNoSessionProcesses(t, f.sshd, waitLong)
}

// TestStartRCSleepsConnectTimeout: a remote rc file that never finishes
// ends the start within ConnectTimeout, with one line, status 255.
func TestStartRCSleepsConnectTimeout(t *testing.T) {
	f := newRCFixture(t, "echo 'checking mail…'; sleep 1000\n")
	m := startJob(t, f.sshMosh, "-F", f.config, "-o", "ConnectTimeout=3", "--server="+f.server, "target")
	start := time.Now()
	st := m.WaitExit(waitLong)
	took := time.Since(start)
	if st != 255 {
		t.Fatalf("status %d, want 255; screen:\n%s", st, testenv.FrameScreen(m.Capture()))
	}
	// The timer starts after the connection is up; 3 s plus a loaded
	// machine's connection set-up.
	if took < 3*time.Second || took > 3*time.Second+10*time.Second {
		t.Errorf("ended after %v, want about the 3 s ConnectTimeout", took)
	}
	line := oneErrorLine(t, m.Capture())
	if want := `ssh-mosh: mosh-server on target did not start within 3s (ConnectTimeout); the remote printed "checking mail…" instead of its start-up lines`; !strings.HasPrefix(line, want) {
		t.Errorf("message:\n%s\nwant it to start with\n%s", line, want)
	}
	m.sttyUnchanged()
	wantNoSessionProcesses(t, f.sshd, waitLong)
}

// TestStartCtrlC: Ctrl-C while the remote start-up hangs ends ssh-mosh at
// once with status 130 (as a death by SIGINT reads), the terminal as it
// was, and nothing left on the remote.
func TestStartCtrlC(t *testing.T) {
	f := newRCFixture(t, "sleep 1000\n")
	m := startJob(t, f.sshMosh, "-F", f.config, "--server="+f.server, "target")
	// Wait until the remote sits in the rc file's sleep.
	deadline := time.Now().Add(waitLong)
	for len(sessionCommands(f.sshd, "sleep")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the remote rc file never started; screen:\n%s", testenv.FrameScreen(m.Capture()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.SendKeys("C-c")
	start := time.Now()
	if st := m.WaitExit(waitLong); st != 130 {
		t.Fatalf("status %d after Ctrl-C, want 130; screen:\n%s", st, testenv.FrameScreen(m.Capture()))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Ctrl-C took %v to end the start", took)
	}
	m.sttyUnchanged()
	wantNoSessionProcesses(t, f.sshd, waitLong)
}

// TestStartServerHangsSIGINT: a mosh-server (here --server, a command that
// never prints its start-up lines) that hangs on the remote; a SIGINT sent
// to the client process itself (not through the terminal) ends the start
// at once with status 130, the terminal as it was, and the remote command
// is killed: the signal-aware context reaches StartServer.
func TestStartServerHangsSIGINT(t *testing.T) {
	f := newRemoteFixture(t)
	m := startJob(t, f.sshMosh, "-F", f.config, "--server=sh -c 'sleep 1000' hang", "target")
	deadline := time.Now().Add(waitLong)
	for len(sessionCommands(f.sshd, "sleep")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the hanging server never started; screen:\n%s", testenv.FrameScreen(m.Capture()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var client []int
	for _, p := range testenv.PIDsWithEnv(func(string) bool { return true }) {
		if exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(p), "exe")); exe == f.sshMosh {
			client = append(client, p)
		}
	}
	if len(client) != 1 {
		t.Fatalf("want one ssh-mosh process, found %v", client)
	}
	if err := syscall.Kill(client[0], syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if st := m.WaitExit(waitLong); st != 130 {
		t.Fatalf("status %d after SIGINT, want 130; screen:\n%s", st, testenv.FrameScreen(m.Capture()))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("SIGINT took %v to end the start", took)
	}
	if screen := strings.TrimSpace(m.Capture()); screen != "" {
		t.Errorf("SIGINT printed (ssh prints nothing):\n%s", testenv.FrameScreen(m.Capture()))
	}
	m.sttyUnchanged()
	wantNoSessionProcesses(t, f.sshd, waitLong)
}
