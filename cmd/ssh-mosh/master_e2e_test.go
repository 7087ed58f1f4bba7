package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// logins counts the SSH logins sshd accepted (LogLevel VERBOSE).
func (f *remoteFixture) logins(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(f.sshd.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "Accepted publickey")
}

// TestSessionThroughMaster: with a connection-sharing master (OpenSSH's
// ssh -M) on the ControlPath, the session's server starts through it, as
// ssh's session does: sshd accepts no login of ours. The session and its
// exit status are as without it, with our server and with mosh's, and
// as ssh's through the same master.
func TestSessionThroughMaster(t *testing.T) {
	f := newRemoteFixture(t)
	sock := testenv.StartSSHMaster(t, f.config, "target")
	before := f.logins(t)

	m := f.run(t, nil, "-o", "ControlPath="+sock, "-o", "LogLevel=INFO", "--server="+f.server, "-t", "target", "echo via-$((6*7)); exit 5")
	m.WaitFor("via-42", 20*time.Second)
	if code := m.WaitExit(15 * time.Second); code != 5 {
		t.Errorf("ssh-mosh -t through the master: status %d, want 5; screen:\n%s", code, testenv.FrameScreen(m.Capture()))
	}
	// ssh's last line for a session through a master.
	if s := m.Capture(); !strings.Contains(s, "Shared connection to "+f.sshd.Host+" closed.") {
		t.Errorf("no word of the shared connection closed:\n%s", testenv.FrameScreen(s))
	}
	ssh := exec.Command("ssh", "-F", f.config, "-o", "ControlPath="+sock, "-tt", "target", "echo via-$((6*7)); exit 5")
	if err := ssh.Run(); ssh.ProcessState == nil || ssh.ProcessState.ExitCode() != 5 {
		t.Errorf("ssh -t through the master: %v, want status 5", err)
	}
	expectSession(t, f.run(t, nil, "-o", "ControlPath="+sock, "--server="+f.server, "target"), "ours")
	expectSession(t, f.run(t, nil, "-o", "ControlPath="+sock, "target"), "mosh")
	if n := f.logins(t) - before; n != 0 {
		t.Errorf("sshd accepted %d logins beside the master's", n)
	}

	// A socket no master listens on any more: ssh-mosh connects by
	// itself, without a word, as ssh does.
	stale := filepath.Join(t.TempDir(), "stale")
	m = f.run(t, nil, "-o", "ControlPath="+stale, "--server="+f.server, "target")
	expectSession(t, m, "own")
	if n := f.logins(t) - before; n != 1 {
		t.Errorf("without a master: %d logins, want 1", n)
	}
}

// TestMasterSessionWithoutUDP: when no UDP reply comes to the server
// started through the master, that server is stopped and the login starts
// over on a connection of its own, which (here, with a server that never
// answers) ends in the plain-shell fallback.
func TestMasterSessionWithoutUDP(t *testing.T) {
	f := newRemoteFixture(t)
	sock := testenv.StartSSHMaster(t, f.config, "target")
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	// A mosh-server that says it started on a port where nothing answers,
	// its "daemon" a sleep that a kill ends.
	fake := filepath.Join(dir, "fake-mosh-server")
	script := "#!/bin/sh\nsleep 60 & echo run-$!-$([ -t 0 ] && echo tty || echo notty) >> " + runs + "\n" +
		"printf '\\nMOSH CONNECT 9 AAAAAAAAAAAAAAAAAAAAAA\\n[mosh-server detached, pid = %d]\\n' $!\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	before := f.logins(t)
	m := f.run(t, nil, "-o", "ControlPath="+sock, "--server="+fake, "--transport=udp", "target")
	m.WaitFor("continuing with plain ssh", 30*time.Second)
	m.WaitFor("#", 10*time.Second)
	m.SendText("exit\r")
	m.WaitExit(15 * time.Second)
	b, _ := os.ReadFile(runs)
	started := strings.Fields(string(b))
	if len(started) != 2 {
		t.Fatalf("the fake server started %d times (%q), want twice: through the master, then on our own connection", len(started), started)
	}
	if n := f.logins(t) - before; n != 1 {
		t.Errorf("%d logins of our own, want 1 (after the master's attempt)", n)
	}
	for _, r := range started {
		// Both start-ups ran on a terminal, as mosh's (ssh -t): the
		// stock mosh-server shows its motd and its reminder of detached
		// sessions only then.
		pid, tty, _ := strings.Cut(strings.TrimPrefix(r, "run-"), "-")
		if tty != "tty" {
			t.Errorf("start-up %q ran without a terminal", r)
		}
		if _, err := os.Stat("/proc/" + pid); err == nil {
			if st, _ := os.ReadFile("/proc/" + pid + "/stat"); !strings.Contains(string(st), " Z ") {
				t.Errorf("server %s left running after its session failed", pid)
			}
		}
	}
}

// TestAttachThroughMaster: --sessions, --attach and the session they take
// over all go through a running master; sshd accepts no login of ours.
func TestAttachThroughMaster(t *testing.T) {
	f := newAttachFixture(t)
	sock := testenv.StartSSHMaster(t, f.config, "target")
	cp := "-oControlPath=" + sock
	before := f.logins(t)
	m := f.run(t, nil, cp, "--server="+f.server, "target")
	m.WaitFor("#", 20*time.Second)
	m.SendText("echo kept-$((6*7))\r")
	m.WaitFor("kept-42", 10*time.Second)
	if err := syscall.Kill(m.PanePID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if code := m.WaitExit(10 * time.Second); code != 255 {
		t.Fatalf("status %d after the hang-up, want 255", code)
	}
	out, code := f.control(t, cp, "--sessions", "target")
	if lines := sessionLineRE.FindAllStringSubmatch(out, -1); code != 0 || len(lines) != 1 || lines[0][2] != "detached" {
		t.Fatalf("--sessions through the master: status %d:\n%s", code, out)
	}
	a := f.run(t, nil, cp, "--server="+f.server, "--attach", "target")
	a.WaitFor("kept-42", 20*time.Second)
	a.SendText("exit\r")
	if code := a.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("status %d after exit; screen:\n%s", code, testenv.FrameScreen(a.Capture()))
	}
	if out, code := f.control(t, cp, "--sessions", "target"); code != 0 || len(sessionLineRE.FindAllString(out, -1)) != 0 {
		t.Errorf("--sessions after the exit: status %d:\n%s", code, out)
	}
	if n := f.logins(t) - before; n != 0 {
		t.Errorf("sshd accepted %d logins beside the master's", n)
	}
}
