package main

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// newAttachFixture is a remote fixture whose sessions keep their control
// sockets in a directory of the test's own (TMPDIR, no XDG_RUNTIME_DIR),
// so that --sessions sees only this test's sessions.
func newAttachFixture(t *testing.T) *remoteFixture {
	t.Helper()
	tmp, err := os.MkdirTemp("/tmp", "att")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	return newRemoteFixtureWith(t, "SetEnv TMPDIR="+tmp+" XDG_RUNTIME_DIR=")
}

// control runs ssh-mosh with args without a terminal and returns its
// output and status.
func (f *remoteFixture) control(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(f.sshMosh, append([]string{"-F", f.config, "--server=" + f.server}, args...)...)
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ssh-mosh %v: %v", args, err)
	}
	return string(out), code
}

var sessionLineRE = regexp.MustCompile(`(?m)^(\d+)\t(attached|detached)\t\S+\t\S+\t\d+x\d+\t.*$`)

// waitSessions polls --sessions until want accepts the listed lines.
func (f *remoteFixture) waitSessions(t *testing.T, what string, want func(lines [][]string) bool) [][]string {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		out, code := f.control(t, "--sessions", "target")
		if code != 0 {
			t.Fatalf("--sessions: status %d: %s", code, out)
		}
		if !strings.HasPrefix(out, "ID\t") {
			t.Fatalf("--sessions printed no header: %q", out)
		}
		lines := sessionLineRE.FindAllStringSubmatch(out, -1)
		if want(lines) {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("--sessions never showed %s; last:\n%s", what, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var shellFactsRE = regexp.MustCompile(`facts-(\S+)-(\d+)-(\S+)-end`)

// TestAttachAfterClientKilled: a session whose client died (kill -9) is
// listed, taken over by --attach with its old screen, the same shell
// (pid, variable, cwd) answers, and exit ends everything with status 0.
func TestAttachAfterClientKilled(t *testing.T) {
	f := newAttachFixture(t)
	if out, code := f.control(t, "--sessions", "target"); code != 0 || strings.TrimSpace(out) != sessionsHeaderForTest {
		t.Fatalf("--sessions with none: status %d, %q", code, out)
	}
	none := f.run(t, nil, "--server="+f.server, "--attach", "target")
	if code := none.WaitExit(waitLong); code == 0 || !strings.Contains(none.Capture(), "ssh-mosh: no session to attach to on target") {
		t.Fatalf("--attach with none: status %d:\n%s", code, testenv.FrameScreen(none.Capture()))
	}
	m := f.run(t, nil, "--server="+f.server, "target")
	m.WaitFor("#", waitLong)
	cwd := t.TempDir()
	m.SendText("ATTACHVAR=kept42; cd " + cwd + "; echo facts-$ATTACHVAR-$$-$(pwd)-end\r")
	// The typed line ends in "-end" too: wait for the answer itself.
	screen := m.WaitForFunc("the shell's facts", shellFactsRE.MatchString, waitLong)
	before := shellFactsRE.FindStringSubmatch(screen)
	if before == nil {
		t.Fatalf("no facts on the screen:\n%s", screen)
	}
	m.SendText("echo old-screen-$((6*7))\r")
	m.WaitFor("old-screen-42", waitLong)
	if err := syscall.Kill(m.PanePID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	m.WaitExit(waitLong)

	lines := f.waitSessions(t, "the session detached", func(l [][]string) bool { return len(l) == 1 && l[0][2] == "detached" })
	id := lines[0][1]

	a := f.run(t, nil, "--server="+f.server, "--attach", "target")
	start := time.Now()
	a.WaitFor("old-screen-42", waitLong)
	t.Logf("old screen back after %v", time.Since(start).Round(time.Millisecond))
	a.SendText("clear; echo facts-$ATTACHVAR-$$-$(pwd)-end\r")
	screen = a.WaitFor("facts-kept42", waitLong)
	after := shellFactsRE.FindStringSubmatch(screen)
	if after == nil || after[1] != before[1] || after[2] != before[2] || after[3] != before[3] {
		t.Fatalf("another shell answered: before %q, after %q", before, after)
	}
	f.waitSessions(t, "the session attached", func(l [][]string) bool { return len(l) == 1 && l[0][1] == id && l[0][2] == "attached" })
	a.SendText("exit\r")
	if code := a.WaitExit(waitLong); code != 0 {
		t.Fatalf("status %d after exit; screen:\n%s", code, testenv.FrameScreen(a.Capture()))
	}
	wantNoSessionProcesses(t, f.sshd, waitLong)
	f.waitSessions(t, "no session", func(l [][]string) bool { return len(l) == 0 })
}

// TestAttachAfterTerminalClosed: a closed terminal (SIGHUP) or a kill
// (SIGTERM) ends the client at once with ssh's 255 and leaves the session
// to our server, which --attach takes over with its screen; mosh's
// client would shut the session down.
func TestAttachAfterTerminalClosed(t *testing.T) {
	f := newAttachFixture(t)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		m := f.run(t, nil, "--server="+f.server, "target")
		m.WaitFor("#", waitLong)
		mark := fmt.Sprintf("kept-%d", 100+int(sig))
		m.SendText(fmt.Sprintf("echo kept-$((100+%d))\r", int(sig)))
		m.WaitFor(mark, waitLong)
		if err := syscall.Kill(m.PanePID(), sig); err != nil {
			t.Fatal(err)
		}
		if code := m.WaitExit(waitLong); code != 255 {
			t.Errorf("%v: status %d, want 255", sig, code)
		}
		if !strings.Contains(strings.ReplaceAll(m.CaptureHistory(false), "\n", ""), "ssh-mosh: session left running on target: `ssh-mosh --attach target` takes it back") {
			t.Errorf("%v: no word of the session left running:\n%s", sig, testenv.FrameScreen(m.CaptureHistory(false)))
		}
		// The client told the server it left: the session is listed
		// as detached at once (not 10 s later, when its silence would
		// say so), and --attach takes it without a question.
		out, code := f.control(t, "--sessions", "target")
		lines := sessionLineRE.FindAllStringSubmatch(out, -1)
		if code != 0 || len(lines) != 1 || lines[0][2] != "detached" {
			t.Fatalf("%v: --sessions right after the client left: status %d:\n%s", sig, code, out)
		}
		var a *testenv.Tmux
		if sig == syscall.SIGHUP {
			a = f.run(t, nil, "--server="+f.server, "--attach", "target")
		} else {
			a = f.run(t, nil, "--server="+f.server, "--attach="+lines[0][1], "target")
		}
		a.WaitFor(mark, waitLong)
		if h := a.CaptureHistory(false); strings.Contains(h, "(yes/no)?") {
			t.Errorf("%v: --attach asked about a detached session:\n%s", sig, testenv.FrameScreen(h))
		}
		a.SendText("exit\r")
		if code := a.WaitExit(waitLong); code != 0 {
			t.Fatalf("%v: status %d after exit; screen:\n%s", sig, code, testenv.FrameScreen(a.Capture()))
		}
		f.waitSessions(t, "no session", func(l [][]string) bool { return len(l) == 0 })
	}
}

// sessionsHeaderForTest is mosh-server's header line.
const sessionsHeaderForTest = "ID\tSTATE\tSTARTED\tLAST-CONTACT\tSIZE\tCOMMAND"

// TestAttachTakesOverLiveClient: --attach=ID of a session whose client
// still runs moves it to the new client; the old one is shut out and
// exits; two detached sessions make --attach without ID list them and
// fail; --kill ends one.
func TestAttachTakesOverLiveClient(t *testing.T) {
	f := newAttachFixture(t)
	old := f.run(t, nil, "--server="+f.server, "target")
	old.WaitFor("#", waitLong)
	old.SendText("echo first-$((6*7))\r")
	old.WaitFor("first-42", waitLong)
	lines := f.waitSessions(t, "one attached session", func(l [][]string) bool { return len(l) == 1 && l[0][2] == "attached" })
	id := lines[0][1]

	// --attach asks before it takes over the only session, attached;
	// "no" leaves it.
	none := f.run(t, nil, "--server="+f.server, "--attach", "target")
	none.WaitFor("Take it over, shutting that client out (yes/no)?", waitLong)
	none.SendText("no\r")
	if code := none.WaitExit(waitLong); code == 0 || !strings.Contains(none.Capture(), "no detached session") {
		t.Errorf("--attach with only an attached session: status %d:\n%s", code, testenv.FrameScreen(none.Capture()))
	}
	a := f.run(t, nil, "--server="+f.server, "--attach="+id, "target")
	a.WaitFor("first-42", waitLong)
	// The old client hears the session end for it and exits, saying so.
	old.WaitExit(waitLong)
	if !strings.Contains(old.Capture(), "[ssh-mosh: this session was taken over by another client]") {
		t.Errorf("the old client's last screen:\n%s", testenv.FrameScreen(old.Capture()))
	}
	a.SendText("echo second-$((6*7))\r")
	a.WaitFor("second-42", waitLong)

	// A second session; kill -9 the taking-over client: two detached.
	b := f.run(t, nil, "--server="+f.server, "target")
	b.WaitFor("#", waitLong)
	for _, m := range []*testenv.Tmux{a, b} {
		if err := syscall.Kill(m.PanePID(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		m.WaitExit(waitLong)
	}
	lines = f.waitSessions(t, "two detached sessions", func(l [][]string) bool {
		return len(l) == 2 && l[0][2] == "detached" && l[1][2] == "detached"
	})
	two := testenv.StartTmux(t, testenv.TmuxOptions{Width: 200, Height: 24}, f.sshMosh, "-F", f.config, "--server="+f.server, "--attach", "target")
	code := two.WaitExit(waitLong)
	out := two.Capture()
	if code == 0 || !strings.Contains(out, "2 detached sessions") || !strings.Contains(out, "--attach=ID") ||
		!strings.Contains(out, lines[0][1]+" ") || !strings.Contains(out, lines[1][1]+" ") {
		t.Errorf("--attach with two detached: status %d:\n%s", code, testenv.FrameScreen(out))
	}
	for _, l := range lines {
		if out, code := f.control(t, "--kill="+l[1], "target"); code != 0 || !strings.Contains(out, "killed "+l[1]) {
			t.Errorf("--kill=%s: status %d, %q", l[1], code, out)
		}
	}
	if out, code := f.control(t, "--kill=99999999", "target"); code == 0 {
		t.Errorf("--kill of no session: status 0, %q", out)
	}
	wantNoSessionProcesses(t, f.sshd, waitLong)
	f.waitSessions(t, "no session", func(l [][]string) bool { return len(l) == 0 })
}

// TestAttachOverSSHPath: with --transport=ssh (UDP blocked, a jump-only
// target) the attach reaches the session over the SSH connection, like
// a fresh session, through the session's unix socket.
func TestAttachOverSSHPath(t *testing.T) {
	f := newAttachFixture(t)
	m := startSSHPath(t, f, f.config, f.server, "--transport=ssh", "target")
	runCmd(t, m, "before-attach")
	if err := syscall.Kill(m.PanePID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	m.WaitExit(waitLong)
	f.waitSessions(t, "the session detached", func(l [][]string) bool { return len(l) == 1 && l[0][2] == "detached" })
	a := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		f.sshMosh, "-F", f.config, "--server="+f.server, "--transport=ssh", "--attach", "target")
	a.WaitFor("before-attach-42", waitLong)
	runCmd(t, a, "after-attach")
	askStatus(t, a, "mosh: SSH, RTT ")
	a.SendText("exit\r")
	if code := a.WaitExit(waitLong); code != 0 {
		t.Fatalf("status %d after exit; screen:\n%s", code, testenv.FrameScreen(a.Capture()))
	}
	wantNoSessionProcesses(t, f.sshd, waitLong)
}
