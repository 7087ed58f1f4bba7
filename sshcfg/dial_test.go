package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
	"golang.org/x/crypto/ssh"
)

// recordingPrompter answers prompts from a list and records everything.
type recordingPrompter struct {
	mu        sync.Mutex
	answers   []string
	questions []string
	notices   []string
}

func (p *recordingPrompter) prompter() FuncPrompter {
	return FuncPrompter{
		PromptFunc: func(q string, echo bool) (string, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.questions = append(p.questions, q)
			if len(p.answers) == 0 {
				return "", fmt.Errorf("unexpected prompt %q", q)
			}
			a := p.answers[0]
			p.answers = p.answers[1:]
			return a, nil
		},
		NoticeFunc: func(m string) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.notices = append(p.notices, m)
		},
	}
}

// resolveFor resolves alias from configPath for a user whose home is a
// fresh temp dir (no default keys, no personal config), with no agent
// unless the test sets SSH_AUTH_SOCK itself.
func resolveFor(t *testing.T, configPath, alias string, extra ...string) *Config {
	t.Helper()
	o, rest := parse(t, append(append([]string{"-F", configPath}, extra...), alias)...)
	r := &Resolver{Home: t.TempDir(), SSH: "none"}
	c, err := r.Resolve(o, rest[0])
	if err != nil {
		t.Fatalf("resolve %s: %v", alias, err)
	}
	return c
}

// remoteOutput runs cmd on conn and returns its stdout.
func remoteOutput(t *testing.T, conn *Conn, cmd string) string {
	t.Helper()
	s, err := conn.Client.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer s.Close()
	out, err := s.Output(cmd)
	if err != nil {
		t.Fatalf("run %q: %v", cmd, err)
	}
	return string(out)
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustDial(t *testing.T, c *Config, ui Prompter) *Conn {
	t.Helper()
	conn, err := Dial(dialCtx(t), c, ui)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestDialAgentOnlyKey(t *testing.T) {
	testenv.Short(t)
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	sock := testenv.StartSSHAgent(t, priv)
	// The key now exists only in the agent.
	os.Remove(priv)
	os.Remove(priv + ".pub")
	t.Setenv("SSH_AUTH_SOCK", sock)
	cfgPath, _ := sshd.ClientConfig(t, "target", "")
	conn := mustDial(t, resolveFor(t, cfgPath, "target"), FuncPrompter{})
	if got := remoteOutput(t, conn, "echo agent-ok"); got != "agent-ok\n" {
		t.Fatalf("output %q", got)
	}
	if conn.RemoteIP.String() != "127.0.0.1" {
		t.Errorf("RemoteIP = %v", conn.RemoteIP)
	}
	// Redial reuses the agent and the pinned host key, without prompting.
	again, err := conn.Redial(dialCtx(t))
	if err != nil {
		t.Fatalf("Redial: %v", err)
	}
	defer again.Close()
	if got := remoteOutput(t, again, "echo again"); got != "again\n" {
		t.Fatalf("redial output %q", got)
	}
}

func TestDialPassphraseKey(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "correct horse")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfgPath, _ := sshd.ClientConfig(t, "target", priv)
	p := &recordingPrompter{answers: []string{"wrong", "correct horse"}}
	conn := mustDial(t, resolveFor(t, cfgPath, "target"), p.prompter())
	if got := remoteOutput(t, conn, "echo pass-ok"); got != "pass-ok\n" {
		t.Fatalf("output %q", got)
	}
	want := fmt.Sprintf("Enter passphrase for key '%s': ", priv)
	if len(p.questions) != 2 || p.questions[0] != want || p.questions[1] != want {
		t.Fatalf("questions = %q, want twice %q", p.questions, want)
	}
	// Redial uses the decrypted key kept in memory: no prompt.
	again, err := conn.Redial(dialCtx(t))
	if err != nil {
		t.Fatalf("Redial: %v", err)
	}
	again.Close()
	if len(p.questions) != 2 {
		t.Fatalf("Redial prompted: %q", p.questions[2:])
	}
}

// writeConfig writes an ssh_config for hosts on the fixture sshds.
func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDialProxyJumpChain(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	var sshds [3]*testenv.SSHD
	var known []string
	for i := range sshds {
		sshds[i] = testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
		known = append(known, sshds[i].KnownHostsLine)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(strings.Join(known, "\n")+"\n"), 0o600)
	cfg := writeConfig(t, fmt.Sprintf(`Host hop1 hop2 target
  HostName 127.0.0.1
  User root
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
Host hop1
  Port %d
Host hop2
  Port %d
  ProxyJump hop1
Host target
  Port %d
  ProxyJump hop2
`, priv, kh, sshds[0].Port, sshds[1].Port, sshds[2].Port))
	c := resolveFor(t, cfg, "target")
	if n := len(c.Chain()); n != 3 {
		t.Fatalf("chain length %d, want 3", n)
	}
	conn := mustDial(t, c, FuncPrompter{})
	// The target sees its port in SSH_CONNECTION: we reached sshd 3.
	got := strings.Fields(remoteOutput(t, conn, "echo $SSH_CONNECTION"))
	if len(got) != 4 || got[3] != fmt.Sprint(sshds[2].Port) {
		t.Fatalf("SSH_CONNECTION = %q, want server port %d", got, sshds[2].Port)
	}
	for i, s := range sshds {
		if !strings.Contains(s.Log(), "Accepted publickey for root") {
			t.Errorf("sshd %d did not log a login:\n%s", i+1, s.Log())
		}
	}
	if keys := conn.HostKeys(); len(keys) != 3 {
		t.Errorf("HostKeys: %d, want 3", len(keys))
	}
}

func TestDialProxyCommand(t *testing.T) {
	testenv.Short(t)
	sshBin := testenv.MustHaveExec(t, "ssh")
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	hop := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	target := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(hop.KnownHostsLine+"\n"+target.KnownHostsLine+"\n"), 0o600)
	common := fmt.Sprintf("  HostName 127.0.0.1\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n", priv, kh)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ssh_config")
	body := fmt.Sprintf("Host hop\n  Port %d\n%sHost target\n  Port %d\n  ProxyCommand %s -F %s -W %%h:%%p hop\n%s", hop.Port, common, target.Port, sshBin, cfg, common)
	os.WriteFile(cfg, []byte(body), 0o600)
	c := resolveFor(t, cfg, "target")
	if !strings.Contains(c.ProxyCommand, fmt.Sprintf("-W 127.0.0.1:%d hop", target.Port)) {
		t.Fatalf("ProxyCommand tokens not expanded: %q", c.ProxyCommand)
	}
	conn, err := Dial(dialCtx(t), c, FuncPrompter{})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if got := remoteOutput(t, conn, "echo proxied"); got != "proxied\n" {
		t.Fatalf("output %q", got)
	}
	pids := pidsWithArg(cfg)
	if len(pids) == 0 {
		t.Fatalf("no ProxyCommand process found")
	}
	conn.Close()
	for _, pid := range pids {
		if !testenv.WaitGone(pid, 5*time.Second) {
			t.Errorf("ProxyCommand pid %d still running after Close", pid)
		}
	}
}

// pidsWithArg lists processes whose command line contains s.
func pidsWithArg(s string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), s) && testenv.Alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// hostKeyFixture starts an sshd and a config whose known_hosts file is
// empty, with the given StrictHostKeyChecking and HashKnownHosts.
func hostKeyFixture(t *testing.T, strict, hash string) (*testenv.SSHD, *Config) {
	t.Helper()
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	kh := filepath.Join(t.TempDir(), "known_hosts")
	cfg := writeConfig(t, fmt.Sprintf("Host target\n  HostName 127.0.0.1\n  Port %d\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking %s\n  HashKnownHosts %s\n",
		sshd.Port, priv, kh, strict, hash))
	return sshd, resolveFor(t, cfg, "target")
}

func TestDialUnknownHostAnsweredYes(t *testing.T) {
	testenv.Short(t)
	for _, hash := range []string{"no", "yes"} {
		t.Run("hash="+hash, func(t *testing.T) {
			sshd, c := hostKeyFixture(t, "ask", hash)
			p := &recordingPrompter{answers: []string{"maybe", "yes"}}
			conn := mustDial(t, c, p.prompter())
			conn.Close()
			host := fmt.Sprintf("[127.0.0.1]:%d", sshd.Port)
			wantQ := fmt.Sprintf("The authenticity of host '%s (%s)' can't be established.\nED25519 key fingerprint is SHA256:", host, host)
			if len(p.questions) != 2 || !strings.HasPrefix(p.questions[0], wantQ) ||
				!strings.HasSuffix(p.questions[0], "Are you sure you want to continue connecting (yes/no/[fingerprint])? ") ||
				p.questions[1] != "Please type 'yes', 'no' or the fingerprint: " {
				t.Fatalf("questions = %q", p.questions)
			}
			data, _ := os.ReadFile(c.UserKnownHostsFiles[0])
			line := strings.TrimSpace(string(data))
			keyPart := strings.TrimPrefix(sshd.KnownHostsLine, host+" ")
			if !strings.HasSuffix(line, keyPart) || (hash == "yes") != strings.HasPrefix(line, "|1|") || (hash == "no" && !strings.HasPrefix(line, host+" ")) {
				t.Fatalf("known_hosts = %q (hash %s), want the key %q", line, hash, keyPart)
			}
			wantNotice := fmt.Sprintf("Warning: Permanently added '%s' (ED25519) to the list of known hosts.", host)
			if len(p.notices) != 1 || p.notices[0] != wantNotice {
				t.Fatalf("notices = %q", p.notices)
			}
			// Known now: no prompt at all.
			conn2 := mustDial(t, c, FuncPrompter{})
			conn2.Close()
		})
	}
}

func TestDialUnknownHostAnsweredNo(t *testing.T) {
	testenv.Short(t)
	_, c := hostKeyFixture(t, "ask", "no")
	p := &recordingPrompter{answers: []string{"no"}}
	_, err := Dial(dialCtx(t), c, p.prompter())
	if !errors.Is(err, ErrHostKeyUnknown) {
		t.Fatalf("err = %v, want ErrHostKeyUnknown", err)
	}
	if data, _ := os.ReadFile(c.UserKnownHostsFiles[0]); len(data) != 0 {
		t.Fatalf("known_hosts written after no: %q", data)
	}
	// BatchMode never asks.
	c.BatchMode = true
	if _, err := Dial(dialCtx(t), c, FuncPrompter{}); !errors.Is(err, ErrHostKeyUnknown) {
		t.Fatalf("batch mode: err = %v", err)
	}
}

func TestDialStrictHostKeyChecking(t *testing.T) {
	testenv.Short(t)
	for _, tt := range []struct {
		strict  string
		ok      bool
		learned bool
	}{{"yes", false, false}, {"accept-new", true, true}, {"no", true, true}} {
		t.Run(tt.strict, func(t *testing.T) {
			_, c := hostKeyFixture(t, tt.strict, "no")
			conn, err := Dial(dialCtx(t), c, FuncPrompter{}) // any prompt fails
			if (err == nil) != tt.ok {
				t.Fatalf("Dial err = %v, want ok=%v", err, tt.ok)
			}
			if err == nil {
				conn.Close()
			} else if !errors.Is(err, ErrHostKeyUnknown) {
				t.Fatalf("err = %v, want ErrHostKeyUnknown", err)
			}
			data, _ := os.ReadFile(c.UserKnownHostsFiles[0])
			if (len(data) > 0) != tt.learned {
				t.Fatalf("known_hosts = %q, want learned=%v", data, tt.learned)
			}
		})
	}
}

// TestDialChangedHostKey: a changed host key is refused with one clear
// line after OpenSSH's warning, under every StrictHostKeyChecking but no;
// under no, as OpenSSH, the login goes on after the warning without
// password and keyboard-interactive authentication (Conn.HostKeyChanged
// tells the caller to drop the forwards), the key is not learned, and a
// re-dial accepts that key only.
func TestDialChangedHostKey(t *testing.T) {
	testenv.Short(t)
	for _, strict := range []string{"ask", "accept-new", "yes", "no"} {
		t.Run(strict, func(t *testing.T) {
			sshd, c := hostKeyFixture(t, strict, "no")
			_, otherPub := testenv.NewUserKey(t, "", "") // any ed25519 key that is not the host's
			fields := strings.Fields(otherPub)
			host := fmt.Sprintf("[127.0.0.1]:%d", sshd.Port)
			line := host + " " + fields[0] + " " + fields[1] + "\n"
			if err := os.WriteFile(c.UserKnownHostsFiles[0], []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			p := &recordingPrompter{}
			conn, err := Dial(dialCtx(t), c, p.prompter())
			if len(p.notices) == 0 || !strings.Contains(p.notices[0], "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!") ||
				!strings.Contains(p.notices[0], "Offending ED25519 key in "+c.UserKnownHostsFiles[0]+":1") {
				t.Fatalf("notices = %q", p.notices)
			}
			if strict != "no" {
				if !errors.Is(err, ErrHostKeyChanged) {
					t.Fatalf("err = %v, want ErrHostKeyChanged", err)
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || !strings.Contains(msg, "host key for "+host+" has changed") ||
					!strings.Contains(msg, "ssh-keygen -f") || !strings.Contains(msg, "-R \""+host+"\"") {
					t.Fatalf("error is not one clear line: %q", msg)
				}
				if len(p.notices) != 1 || !strings.Contains(p.notices[0], "requested strict checking") {
					t.Fatalf("notices = %q", p.notices)
				}
				return
			}
			if err != nil {
				t.Fatalf("StrictHostKeyChecking no: %v", err)
			}
			defer conn.Close()
			if !conn.HostKeyChanged || conn.Config.PasswordAuthentication || conn.Config.KbdInteractiveAuth {
				t.Errorf("HostKeyChanged %v, password %v, keyboard-interactive %v", conn.HostKeyChanged, conn.Config.PasswordAuthentication, conn.Config.KbdInteractiveAuth)
			}
			want := []string{"Password authentication is disabled to avoid man-in-the-middle attacks.",
				"Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks."}
			if strings.Contains(p.notices[0], "requested strict checking") || !slices.Equal(p.notices[1:], want) {
				t.Errorf("notices = %q", p.notices)
			}
			if data, _ := os.ReadFile(c.UserKnownHostsFiles[0]); string(data) != line {
				t.Errorf("known_hosts changed: %q", data)
			}
			re, err := conn.Redial(dialCtx(t))
			if err != nil {
				t.Fatalf("Redial: %v", err)
			}
			re.Close()
		})
	}
}

func TestDialWrongKeyListsTried(t *testing.T) {
	testenv.Short(t)
	_, authorized := testenv.NewUserKey(t, "", "")
	wrong, _ := testenv.NewUserKey(t, "", "")
	agentKey, _ := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{authorized}})
	t.Setenv("SSH_AUTH_SOCK", testenv.StartSSHAgent(t, agentKey))
	cfgPath, _ := sshd.ClientConfig(t, "target", "")
	c := resolveFor(t, cfgPath, "target", "-i", wrong)
	_, err := Dial(dialCtx(t), c, FuncPrompter{})
	var derr *DialError
	if !errors.As(err, &derr) || !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("err = %v, want a permission denied DialError", err)
	}
	msg := err.Error()
	// OpenSSH's wording first, then what was tried, the key file last.
	wantPrefix := "root@127.0.0.1: Permission denied (publickey). Tried: agent key ED25519 SHA256:"
	if !strings.HasPrefix(msg, wantPrefix) || !strings.HasSuffix(msg, ", "+wrong) {
		t.Fatalf("error = %q\nwant prefix %q and the key file last", msg, wantPrefix)
	}
}

func TestDialRefused(t *testing.T) {
	port := testenv.FreeTCPPort(t)
	cfg := writeConfig(t, fmt.Sprintf("Host closed\n  HostName 127.0.0.1\n  Port %d\n", port))
	_, err := Dial(dialCtx(t), resolveFor(t, cfg, "closed"), FuncPrompter{})
	want := fmt.Sprintf("connect to host 127.0.0.1 port %d: Connection refused", port)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// TestDialUnprotectedKey: a private key file others may read is refused with
// OpenSSH's warning (sshkey_perm_ok), even though the server would accept
// it; once it is private again, the same login works.
func TestDialUnprotectedKey(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfgPath, _ := sshd.ClientConfig(t, "target", priv)
	if err := os.Chmod(priv, 0o644); err != nil {
		t.Fatal(err)
	}
	p := &recordingPrompter{}
	if conn, err := Dial(dialCtx(t), resolveFor(t, cfgPath, "target", "-o", "BatchMode=yes"), p.prompter()); err == nil {
		conn.Close()
		t.Fatal("logged in with a key file others can read")
	}
	want := []string{
		"WARNING: UNPROTECTED PRIVATE KEY FILE!",
		fmt.Sprintf("Permissions 0644 for '%s' are too open.", priv),
		"This private key will be ignored.",
		fmt.Sprintf("Load key \"%s\": bad permissions", priv),
	}
	notices := strings.Join(p.notices, "\n")
	for _, w := range want {
		if !strings.Contains(notices, w) {
			t.Errorf("notices lack %q:\n%s", w, notices)
		}
	}
	if err := os.Chmod(priv, 0o600); err != nil {
		t.Fatal(err)
	}
	mustDial(t, resolveFor(t, cfgPath, "target", "-o", "BatchMode=yes"), p.prompter())
}

// TestDialBannerTimeout: ConnectTimeout bounds the wait for a server that
// takes the connection and says nothing, as ssh's does, and only that
// wait: a passphrase typed slower than it still logs in.
func TestDialBannerTimeout(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	port := testenv.SilentListener(t)
	cfg := writeConfig(t, fmt.Sprintf("Host silent\n  HostName 127.0.0.1\n  Port %d\n  ConnectTimeout 1\n  BatchMode yes\n", port))
	start := time.Now()
	_, err := Dial(dialCtx(t), resolveFor(t, cfg, "silent"), (&recordingPrompter{}).prompter())
	if !errors.Is(err, ErrBannerTimeout) {
		t.Fatalf("Dial: %v, want the banner timeout", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("gave up after %v, with ConnectTimeout 1", took)
	}
	if want := fmt.Sprintf("Connection to 127.0.0.1 port %d timed out during banner exchange", port); err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}

	priv, pub := testenv.NewUserKey(t, "", "slow typist")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfgPath, _ := sshd.ClientConfig(t, "target", priv)
	p := FuncPrompter{PromptFunc: func(string, bool) (string, error) {
		time.Sleep(1500 * time.Millisecond)
		return "slow typist", nil
	}}
	mustDial(t, resolveFor(t, cfgPath, "target", "-o", "ConnectTimeout=1"), p)
}

// TestDialClosedByPeer: a server that ends the connection in the handshake
// gets ssh's words, not Go's "EOF": before its banner (a web server on the
// port, an sshd turning the connection away) "kex_exchange_identification:
// Connection closed by remote host", after it "Connection closed by IP
// port N"; "reset" when it was reset.
func TestDialClosedByPeer(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	for _, tc := range []struct {
		name, greeting string
		reset          bool
		want           string
	}{
		{"web server", "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n", false, "kex_exchange_identification: Connection closed by remote host (127.0.0.1 port %d: not an SSH server, or sshd refused the connection)"},
		{"reset before the banner", "", true, "kex_exchange_identification: read: Connection reset by peer (127.0.0.1 port %d: not an SSH server, or sshd refused the connection)"},
		{"closed in the key exchange", "SSH-2.0-OpenSSH_9.2\r\n", false, "Connection closed by 127.0.0.1 port %d in the key exchange (see the server's log)"},
		{"reset in the key exchange", "pre-banner line\r\nSSH-2.0-OpenSSH_9.2\r\n", true, "Connection reset by 127.0.0.1 port %d in the key exchange (see the server's log)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := testenv.ClosingListener(t, tc.greeting, tc.reset)
			cfg := writeConfig(t, fmt.Sprintf("Host h\n  HostName 127.0.0.1\n  Port %d\n  BatchMode yes\n", port))
			_, err := Dial(dialCtx(t), resolveFor(t, cfg, "h"), (&recordingPrompter{}).prompter())
			if !errors.As(err, new(*PeerClosedError)) {
				t.Fatalf("Dial: %v, want a PeerClosedError", err)
			}
			want := fmt.Sprintf(tc.want, port)
			if tc.reset && strings.HasPrefix(want, "Connection reset") && strings.HasPrefix(err.Error(), "Connection closed") {
				// A reset in the key exchange may reach x/crypto
				// through its own write first, which closes the
				// connection under the read: "closed" then.
				want = "Connection closed" + strings.TrimPrefix(want, "Connection reset")
			}
			if err.Error() != want {
				t.Errorf("message\n%q, want\n%q", err, want)
			}
		})
	}
}

// TestDialReasonJumpRefusal: a jump host that cannot reach the target says
// why in ssh's words, its message escaped, without x/crypto's wrapper.
func TestDialReasonJumpRefusal(t *testing.T) {
	err := fmt.Errorf("dial via jump: %w", &ssh.OpenChannelError{Reason: ssh.ConnectionFailed, Message: "Name or service not known\x1b[2J"})
	want := `open failed through the jump host: connect failed: Name or service not known\033[2J`
	if got := dialReason(err, "target"); got != want {
		t.Errorf("dialReason = %q, want %q", got, want)
	}
}
