package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// writeConfig writes an ssh_config and returns its path.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func hostBlock(alias string, s *testenv.SSHD, knownHosts, extra string) string {
	return fmt.Sprintf("Host %s\n  HostName 127.0.0.1\n  Port %d\n  User root\n  UserKnownHostsFile %s\n"+
		"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n%s", alias, s.Port, knownHosts, extra)
}

// expectSession types into a session started in m and quits it.
func expectSession(t *testing.T, m *testenv.Tmux, marker string) {
	t.Helper()
	m.WaitFor("#", 20*time.Second)
	m.SendText("echo " + marker + "-$((6*7))\r")
	m.WaitFor(marker+"-42", 10*time.Second)
	m.SendText("exit\r")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("ssh-mosh exited %d; screen:\n%s", code, m.Capture())
	}
}

func TestSessionKeyOnlyInAgent(t *testing.T) {
	f := newRemoteFixture(t)
	testenv.MustHaveExec(t, "ssh-agent")
	sock := testenv.StartSSHAgent(t, f.key)
	// The config names no identity; the key file is gone: only the agent has it.
	cfg, _ := f.sshd.ClientConfig(t, "target", "")
	if err := os.Remove(f.key); err != nil {
		t.Fatal(err)
	}
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK=" + sock, "HOME=" + t.TempDir()}},
		f.sshMosh, "-F", cfg, "--server="+f.server, "target")
	expectSession(t, m, "agent")
}

func TestSessionPassphraseKey(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	dir := t.TempDir()
	key, pub := testenv.NewUserKey(t, dir, "s3cret words")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(t, "target", key)
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	server := testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server")
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		bin, "-F", cfg, "--server="+server, "target")
	m.WaitFor("passphrase", 15*time.Second)
	if strings.Contains(m.Capture(), "s3cret") {
		t.Fatal("passphrase echoed")
	}
	m.SendText("s3cret words\r")
	expectSession(t, m, "passphrase")
}

func TestSessionThroughProxyJumpChain(t *testing.T) {
	f := newRemoteFixture(t)
	b, err := os.ReadFile(f.key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	hop1 := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{strings.TrimSpace(string(b))}})
	hop2 := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{strings.TrimSpace(string(b))}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(hop1.KnownHostsLine+"\n"+hop2.KnownHostsLine+"\n"+f.sshd.KnownHostsLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n", f.key)
	cfg := writeConfig(t, hostBlock("hop1", hop1, kh, id)+hostBlock("hop2", hop2, kh, id)+
		hostBlock("target", f.sshd, kh, id+"  ProxyJump hop1,hop2\n"))
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		f.sshMosh, "-F", cfg, "--server="+f.server, "target")
	expectSession(t, m, "jumped")
	for _, h := range []*testenv.SSHD{hop1, hop2} {
		if !strings.Contains(h.Log(), "Accepted publickey") {
			t.Errorf("hop on port %d saw no login:\n%s", h.Port, h.Log())
		}
	}
}

func TestSessionThroughProxyCommand(t *testing.T) {
	f := newRemoteFixture(t)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(f.sshd.KnownHostsLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// OpenSSH's own ssh -W to the target as the ProxyCommand.
	inner := hostBlock("direct", f.sshd, kh, fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n", f.key))
	innerCfg := writeConfig(t, inner)
	cfg := writeConfig(t, hostBlock("target", f.sshd, kh,
		fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n  ProxyCommand ssh -F %s -W %%h:%%p direct\n", f.key, innerCfg)))
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		f.sshMosh, "-F", cfg, "--server="+f.server, "target")
	expectSession(t, m, "proxied")
}

func TestSessionSSHFlagOption(t *testing.T) {
	f := newRemoteFixture(t)
	// The config has the wrong port; --ssh="ssh -p N" fixes it, as with mosh.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, []byte(f.sshd.KnownHostsLine+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("Host target\n  HostName 127.0.0.1\n  User root\n  UserKnownHostsFile %s\n"+
		"  GlobalKnownHostsFile /dev/null\n  IdentityFile %s\n  IdentitiesOnly yes\n", kh, f.key))
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		f.sshMosh, fmt.Sprintf("--ssh=ssh -p %d -F %s", f.sshd.Port, cfg), "--server="+f.server, "target")
	expectSession(t, m, "sshflag")
}

func TestSessionUnknownHostPrompt(t *testing.T) {
	f := newRemoteFixture(t)
	kh := filepath.Join(t.TempDir(), "known_hosts") // empty: the host is unknown
	cfg := writeConfig(t, hostBlock("target", f.sshd, kh, fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n", f.key)))
	cfg = strings.Replace(cfgBody(t, cfg), "StrictHostKeyChecking yes", "StrictHostKeyChecking ask", 1)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		f.sshMosh, "-F", writeConfig(t, cfg), "--server="+f.server, "target")
	m.WaitFor("Are you sure you want to continue connecting (yes/no/[fingerprint])?", 15*time.Second)
	m.SendText("yes\r")
	expectSession(t, m, "learned")
	b, _ := os.ReadFile(kh)
	if !strings.Contains(string(b), "ssh-ed25519") {
		t.Fatalf("known_hosts not updated: %q", b)
	}
}

func TestSessionChangedHostKeyRefused(t *testing.T) {
	f := newRemoteFixture(t)
	other := testenv.StartSSHD(t, testenv.SSHDOptions{})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	// Pin another server's key under the target's name.
	line := strings.Replace(other.KnownHostsLine, fmt.Sprintf("[127.0.0.1]:%d", other.Port), fmt.Sprintf("[127.0.0.1]:%d", f.sshd.Port), 1)
	if err := os.WriteFile(kh, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, hostBlock("target", f.sshd, kh, fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n", f.key)))
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		f.sshMosh, "-F", cfg, "--server="+f.server, "target")
	if code := m.WaitExit(15 * time.Second); code != 255 {
		t.Fatalf("exit %d, want 255; screen:\n%s", code, m.Capture())
	}
	if s := m.Capture(); !strings.Contains(s, "HOST IDENTIFICATION HAS CHANGED") {
		t.Fatalf("no OpenSSH warning on screen:\n%s", s)
	}
}

func cfgBody(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
