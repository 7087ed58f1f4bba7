package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// remoteFixture is a real sshd on 127.0.0.1 that accepts one user key, and
// an ssh_config naming it "target".
type remoteFixture struct {
	sshd    *testenv.SSHD
	key     string
	config  string
	sshMosh string
	server  string // our mosh-server binary
}

func newRemoteFixture(t *testing.T) *remoteFixture {
	t.Helper()
	return newRemoteFixtureWith(t, "")
}

// newRemoteFixtureWith is newRemoteFixture with extra sshd_config lines.
func newRemoteFixtureWith(t *testing.T, sshdConfig string) *remoteFixture {
	t.Helper()
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	testenv.MustHaveExec(t, "sshd")
	testenv.MustHaveExec(t, "tmux")
	testenv.MustHaveExec(t, "mosh-server")
	dir := t.TempDir()
	key, pub := testenv.NewUserKey(t, dir, "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: sshdConfig})
	cfg, _ := sshd.ClientConfig(t, "target", key)
	return &remoteFixture{
		sshd:    sshd,
		key:     key,
		config:  cfg,
		sshMosh: testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh"),
		server:  testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server"),
	}
}

// run starts ssh-mosh with args in tmux through a wrapper that records the
// exit status on screen.
func (f *remoteFixture) run(t *testing.T, env []string, args ...string) *testenv.Tmux {
	t.Helper()
	argv := append([]string{f.sshMosh, "-F", f.config}, args...)
	return testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: env}, argv...)
}

func TestRemoteSessionWithOurServer(t *testing.T) {
	f := newRemoteFixture(t)
	expectSession(t, f.run(t, nil, "--server="+f.server, "target"), "remote")
}

func TestRemoteSessionWithRealServer(t *testing.T) {
	f := newRemoteFixture(t)
	m := f.run(t, nil, "target")
	m.WaitFor("#", 15*time.Second)
	m.SendText("echo real-$((6*7))\r")
	m.WaitFor("real-42", 10*time.Second)
	// Ctrl-^ . quits the session with status 0.
	m.SendHex(0x1e)
	m.SendText(".")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("ssh-mosh exited %d; screen:\n%s", code, m.Capture())
	}
}

func TestRemoteSessionServerOffPath(t *testing.T) {
	f := newRemoteFixture(t)
	// A mosh-server outside PATH, named with --server. (The automatic
	// search of ~/.local/bin and the other package-manager directories is
	// tested in sshcfg, whose sshd sets HOME for the remote user.)
	home := t.TempDir()
	bin := filepath.Join(home, ".local", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(f.server, filepath.Join(bin, "mosh-server")); err != nil {
		t.Fatal(err)
	}
	expectSession(t, f.run(t, nil, "--server="+filepath.Join(bin, "mosh-server"), "target"), "offpath")
}

func TestRemoteFallbackWhenNoServer(t *testing.T) {
	f := newRemoteFixture(t)
	m := f.run(t, nil, "--server=/nonexistent/mosh-server", "target")
	m.WaitFor("continuing with plain ssh", 15*time.Second)
	m.SendText("echo plain-$((6*7))\r")
	m.WaitFor("plain-42", 10*time.Second)
	m.SendText("exit 7\r")
	if code := m.WaitExit(15 * time.Second); code != 7 {
		t.Fatalf("ssh-mosh exited %d, want 7 (the remote shell's status); screen:\n%s", code, m.Capture())
	}
}

func TestRemoteNoFallbackFails(t *testing.T) {
	f := newRemoteFixture(t)
	m := f.run(t, nil, "--no-fallback", "--server=/nonexistent/mosh-server", "target")
	if code := m.WaitExit(15 * time.Second); code == 0 {
		t.Fatalf("--no-fallback exited 0; screen:\n%s", m.Capture())
	}
	if s := m.Capture(); !strings.Contains(s, "not found") {
		t.Errorf("no clear error on screen:\n%s", s)
	}
}

func TestRemoteFallbackWhenUDPSilent(t *testing.T) {
	f := newRemoteFixture(t)
	// A "server" that prints a MOSH CONNECT line for a port where nothing
	// answers: the UDP handover fails and plain ssh takes over.
	port := testenv.FreeUDPPort(t)
	script := filepath.Join(t.TempDir(), "silent-server")
	body := "#!/bin/sh\necho 'MOSH CONNECT " + itoa(port) + " AAECAwQFBgcICQoLDA0ODw'\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	m := f.run(t, nil, "--server="+script, "target")
	m.WaitFor("Nothing received from target on UDP port "+itoa(port), 20*time.Second)
	m.WaitFor("continuing with plain ssh", 5*time.Second)
	m.SendText("echo fallback-$((6*7))\r")
	m.WaitFor("fallback-42", 10*time.Second)
	m.SendText("exit 7\r")
	if code := m.WaitExit(15 * time.Second); code != 7 {
		t.Fatalf("exit %d, want 7", code)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestRemoteSessionClosesSSHAfterHandover: once the first UDP reply has
// arrived, the SSH connection has done its job and is closed (auto mode),
// so no sshd process serves the session any more; the session goes on.
func TestRemoteSessionClosesSSHAfterHandover(t *testing.T) {
	f := newRemoteFixture(t)
	m := f.run(t, nil, "--server="+f.server, "target")
	m.WaitFor("#", 15*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for len(testenv.Descendants(f.sshd.PID)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if d := testenv.Descendants(f.sshd.PID); len(d) > 0 {
		t.Fatalf("sshd still serves the connection after the UDP handover: pids %v", d)
	}
	t.Logf("sshd connection gone %v after the prompt", time.Since(deadline.Add(-10*time.Second)).Round(time.Millisecond))
	m.SendText("echo after-handover-$((6*7))\r")
	m.WaitFor("after-handover-42", 10*time.Second)
	m.SendText("exit\r")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestRemoteMoshKeywordsInConfig: ssh_config's MoshServer and MoshFallback
// (beside IgnoreUnknown, so OpenSSH's ssh reads the same file happily) work
// like --server and --no-fallback.
func TestRemoteMoshKeywordsInConfig(t *testing.T) {
	f := newRemoteFixture(t)
	body, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "ssh_config")
	withServer := "IgnoreUnknown Mosh*\n" + string(body) + "  MoshServer " + f.server + "\n"
	if err := os.WriteFile(cfg, []byte(withServer), 0o600); err != nil {
		t.Fatal(err)
	}
	// OpenSSH's ssh accepts the file.
	if out, err := exec.Command("ssh", "-F", cfg, "-o", "BatchMode=yes", "target", "echo", "openssh-ok").CombinedOutput(); err != nil || !strings.Contains(string(out), "openssh-ok") {
		t.Fatalf("OpenSSH with the MoshServer line: %v\n%s", err, out)
	}
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24}, f.sshMosh, "-F", cfg, "target")
	m.WaitFor("#", 15*time.Second)
	m.SendText("echo configured-server-$((6*7))\r")
	m.WaitFor("configured-server-42", 10*time.Second)
	m.SendText("exit\r")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	// MoshFallback no + a server that is not there: fails instead of
	// falling back, and -o overrides the file.
	noFB := "IgnoreUnknown Mosh*\n" + string(body) + "  MoshFallback no\n  MoshServer /nonexistent/mosh-server\n"
	if err := os.WriteFile(cfg, []byte(noFB), 0o600); err != nil {
		t.Fatal(err)
	}
	m = testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24}, f.sshMosh, "-F", cfg, "target")
	if code := m.WaitExit(15 * time.Second); code != 255 {
		t.Fatalf("MoshFallback no: exit %d; screen:\n%s", code, m.Capture())
	}
	m = testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24}, f.sshMosh, "-F", cfg, "-o", "MoshFallback=yes", "target")
	m.WaitFor("continuing with plain ssh", 15*time.Second)
	m.SendText("exit 4\r")
	if code := m.WaitExit(15 * time.Second); code != 4 {
		t.Fatalf("-o MoshFallback=yes: exit %d", code)
	}
}
