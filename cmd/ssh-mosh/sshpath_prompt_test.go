package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestRedialAsksPassphraseInBar: the key was in ssh-agent when the session
// started; the agent is gone when the SSH connection dies, so the re-dial
// needs the key file's passphrase. It is asked in the notification bar
// (the terminal belongs to the session), typed there without echo, and the
// same session goes on.
func TestRedialAsksPassphraseInBar(t *testing.T) {
	f := newRemoteFixture(t)
	testenv.MustHaveExec(t, "ssh-agent")
	const pass = "open sesame"
	enc := filepath.Join(t.TempDir(), "id_enc")
	b, err := os.ReadFile(f.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(enc, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-p", "-P", "", "-N", pass, "-f", enc).CombinedOutput(); err != nil {
		t.Fatalf("encrypting the key: %v\n%s", err, out)
	}
	sock := testenv.StartSSHAgent(t, f.key) // the same key, unencrypted, in the agent

	proxy, err := netem.NewTCPProxy("127.0.0.1:0", f.sshd.Addr, netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	port := proxy.Addr().Port
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.1]:%d %s\n", port, f.sshd.HostKeyPub)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("Host target\n  HostName 127.0.0.1\n  Port %d\n  User root\n  UserKnownHostsFile %s\n"+
		"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  IdentityFile %s\n  IdentitiesOnly yes\n", port, kh, enc))

	// The client's log (re-dial attempts and their errors) is shown if the
	// question does not come: under load it once did not within 30 s.
	clientLog := filepath.Join(t.TempDir(), "client.log")
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(clientLog)
			t.Logf("client log:\n%s", log)
		}
	})
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK=" + sock}},
		f.sshMosh, "-F", cfg, "-E", clientLog, "-v", "--server="+f.server, "--transport=ssh", "target")
	m.WaitFor("#", waitLong)
	if strings.Contains(m.Capture(), "passphrase") {
		t.Fatalf("asked for the passphrase although the agent had the key:\n%s", m.Capture())
	}
	runCmd(t, m, "before")

	// The agent goes away, then the connection dies.
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	proxy.DropAll()
	asked := func(s string) bool {
		return strings.Contains(s, "Enter passphrase") || strings.Contains(s, "Reconnecting over SSH (")
	}
	deadline := time.Now().Add(waitLong)
	screen := m.Capture()
	for !asked(screen) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		screen = m.Capture()
	}
	if !strings.Contains(screen, "Enter passphrase for key") {
		// Where the re-dial waits: the client's goroutines (SIGQUIT
		// makes the Go runtime print them on the terminal).
		_ = syscall.Kill(m.PanePID(), syscall.SIGQUIT)
		time.Sleep(2 * time.Second)
		t.Fatalf("no passphrase question; screen:\n%s\nsshd log:\n%s\nthe client's goroutines:\n%s",
			testenv.FrameScreen(screen), f.sshd.Log(), m.CaptureHistory(false))
	}
	m.SendText(pass + "\r")
	if strings.Contains(m.Capture(), pass) {
		t.Fatalf("the passphrase was shown:\n%s", m.Capture())
	}
	runCmd(t, m, "after")
	if strings.Count(f.sshd.Log(), "Accepted publickey") < 2 {
		t.Errorf("no second login on the target:\n%s", f.sshd.Log())
	}
	m.SendText("exit\r")
	if code := m.WaitExit(waitLong); code != 0 {
		t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
	}
}
