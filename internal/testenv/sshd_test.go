package testenv

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runSSH runs the real OpenSSH client in batch mode (a prompt fails at
// once instead of blocking) without the developer's agent unless agentSock
// is given, and returns stdout, stderr and the error.
func runSSH(t *testing.T, agentSock string, args ...string) (string, string, error) {
	t.Helper()
	bin := MustHaveExec(t, "ssh")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-o", "BatchMode=yes"}, args...)...)
	cmd.Env = withoutEnv(os.Environ(), "SSH_AUTH_SOCK")
	if agentSock != "" {
		cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+agentSock)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestSSHDKeyFile(t *testing.T) {
	Short(t)
	priv, pub := NewUserKey(t, "", "")
	s := StartSSHD(t, SSHDOptions{AuthorizedKeys: []string{pub}})
	if !Alive(s.PID) || s.Addr != "127.0.0.1:"+strconv.Itoa(s.Port) {
		t.Fatalf("sshd %+v", s)
	}
	if !strings.HasPrefix(s.HostKeyPub, "ssh-ed25519 ") || strings.Count(s.HostKeyPub, " ") != 1 {
		t.Fatalf("HostKeyPub %q", s.HostKeyPub)
	}
	if want := "[127.0.0.1]:" + strconv.Itoa(s.Port) + " " + s.HostKeyPub; s.KnownHostsLine != want {
		t.Fatalf("KnownHostsLine %q, want %q", s.KnownHostsLine, want)
	}
	cfg, _ := s.ClientConfig(t, "testhost", priv)
	out, errOut, err := runSSH(t, "", "-F", cfg, "testhost", "echo", "ok")
	if err != nil || out != "ok\n" {
		t.Fatalf("ssh: %v, stdout %q, stderr %q\nsshd log:\n%s", err, out, errOut, s.Log())
	}
	if !strings.Contains(s.Log(), "Accepted publickey for root") {
		t.Fatalf("sshd log lacks the accepted key:\n%s", s.Log())
	}
}

func TestSSHDAgentOnly(t *testing.T) {
	Short(t)
	priv, pub := NewUserKey(t, "", "")
	sock := StartSSHAgent(t, priv)
	// With the private key gone, only the agent can sign.
	if err := os.Remove(priv); err != nil {
		t.Fatal(err)
	}
	s := StartSSHD(t, SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := s.ClientConfig(t, "agenthost", "")
	out, errOut, err := runSSH(t, sock, "-F", cfg, "agenthost", "echo", "ok")
	if err != nil || out != "ok\n" {
		t.Fatalf("ssh via agent: %v, stdout %q, stderr %q\nsshd log:\n%s", err, out, errOut, s.Log())
	}
	// And without the agent the same command is refused, not prompted.
	if out, _, err := runSSH(t, "", "-F", cfg, "agenthost", "echo", "ok"); err == nil {
		t.Fatalf("ssh without agent or key succeeded: %q", out)
	}
}

func TestSSHDRefusesOtherKeysAndHosts(t *testing.T) {
	Short(t)
	_, pub := NewUserKey(t, "", "")
	other, _ := NewUserKey(t, "", "")
	s := StartSSHD(t, SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := s.ClientConfig(t, "h", other)
	_, errOut, err := runSSH(t, "", "-F", cfg, "h", "true")
	if err == nil || !strings.Contains(errOut, "Permission denied") {
		t.Fatalf("unauthorized key: err %v, stderr %q", err, errOut)
	}

	// A second sshd has another host key: the first one's known_hosts
	// must not accept it.
	priv2, pub2 := NewUserKey(t, "", "")
	s2 := StartSSHD(t, SSHDOptions{AuthorizedKeys: []string{pub2}})
	if s2.HostKeyPub == s.HostKeyPub {
		t.Fatal("two sshds share a host key")
	}
	cfg2, known2 := s2.ClientConfig(t, "h2", priv2)
	writeFile(t, known2, "[127.0.0.1]:"+strconv.Itoa(s2.Port)+" "+s.HostKeyPub+"\n", 0o600)
	_, errOut, err = runSSH(t, "", "-F", cfg2, "h2", "true")
	if err == nil || !strings.Contains(errOut, "HOST IDENTIFICATION HAS CHANGED") {
		t.Fatalf("wrong host key: err %v, stderr %q", err, errOut)
	}
}

func TestSSHDPasswordOption(t *testing.T) {
	Short(t)
	for _, password := range []bool{false, true} {
		t.Run(strconv.FormatBool(password), func(t *testing.T) {
			other, _ := NewUserKey(t, "", "")
			s := StartSSHD(t, SSHDOptions{Password: password})
			cfg, _ := s.ClientConfig(t, "h", other)
			_, errOut, err := runSSH(t, "", "-v", "-F", cfg, "h", "true")
			if err == nil {
				t.Fatal("login without an authorized key succeeded")
			}
			want := "Authentications that can continue: publickey\n"
			if password {
				want = "Authentications that can continue: publickey,password\n"
			}
			if !strings.Contains(strings.ReplaceAll(errOut, "\r", ""), want) {
				t.Fatalf("ssh -v lacks %q:\n%s", want, errOut)
			}
		})
	}
}

func TestSSHDEnvSFTPAndExtraConfig(t *testing.T) {
	Short(t)
	priv, pub := NewUserKey(t, "", "")
	s := StartSSHD(t, SSHDOptions{
		AuthorizedKeys: []string{pub},
		ExtraConfig:    "PermitTunnel no\nMatch User nobody\n  PermitTTY no",
	})
	cfg, _ := s.ClientConfig(t, "h", priv)
	// AcceptEnv LC_*: the variable reaches the remote command.
	out, errOut, err := runSSH(t, "", "-F", cfg, "-o", "SetEnv=LC_TESTENV=xyz", "h", "echo $LC_TESTENV")
	if err != nil || out != "xyz\n" {
		t.Fatalf("SetEnv LC_TESTENV: %v, stdout %q, stderr %q", err, out, errOut)
	}
	// Subsystem sftp internal-sftp.
	if sftp, err := LookPath("sftp"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sftp, "-b", "-", "-F", cfg, "h")
		cmd.Stdin = strings.NewReader("cd " + s.Dir + "\nls\n")
		cmd.Env = withoutEnv(os.Environ(), "SSH_AUTH_SOCK")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		b, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(b), "sshd_config") {
			t.Fatalf("sftp: %v\n%s", err, b)
		}
	}
	conf := readFile(t, s.Dir+"/sshd_config")
	if strings.Index(conf, "PermitTunnel no") > strings.Index(conf, "Port ") ||
		strings.Index(conf, "Match User nobody") < strings.Index(conf, "MaxSessions") {
		t.Fatalf("extra config misplaced:\n%s", conf)
	}
}

func TestSSHDCleanupStopsSessions(t *testing.T) {
	Short(t)
	var sshdPID, remotePID int
	t.Run("inner", func(t *testing.T) {
		priv, pub := NewUserKey(t, "", "")
		s := StartSSHD(t, SSHDOptions{AuthorizedKeys: []string{pub}})
		cfg, _ := s.ClientConfig(t, "h", priv)
		cmd := exec.Command(MustHaveExec(t, "ssh"), "-o", "BatchMode=yes", "-F", cfg, "h",
			"trap '' HUP; echo $$; exec sleep 300")
		cmd.Env = withoutEnv(os.Environ(), "SSH_AUTH_SOCK")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		StartCmd(t, cmd)
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			t.Fatalf("read remote pid: %v\nsshd log:\n%s", err, s.Log())
		}
		remotePID, err = strconv.Atoi(strings.TrimSpace(line))
		if err != nil || !Alive(remotePID) {
			t.Fatalf("remote pid %q: %v", line, err)
		}
		sshdPID = s.PID
	})
	for _, pid := range []int{sshdPID, remotePID} {
		if !WaitGone(pid, 5*time.Second) {
			t.Errorf("pid %d survived the test", pid)
		}
	}
}

func TestNewUserKeyPassphraseAndNames(t *testing.T) {
	dir := t.TempDir()
	p1, pub1 := NewUserKey(t, dir, "")
	p2, pub2 := NewUserKey(t, dir, "secret")
	if p1 == p2 || pub1 == pub2 || !strings.HasPrefix(pub1, "ssh-ed25519 ") {
		t.Fatalf("keys %q %q / %q %q", p1, pub1, p2, pub2)
	}
	if st, err := os.Stat(p2); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key %s: %v %v", p2, st.Mode(), err)
	}
	// The passphrase is really there: loading without it fails, fast.
	ft := &fakeTB{TB: t}
	ft.run(func(tb testing.TB) { StartSSHAgent(tb, p2) })
	if !ft.failed {
		t.Fatal("ssh-add loaded an encrypted key without its passphrase")
	}
}

func TestSplitMatch(t *testing.T) {
	g, m := splitMatch("A 1\nB 2\n  match all\nC 3\n")
	if g != "A 1\nB 2" || m != "match all\nC 3" {
		t.Fatalf("splitMatch = %q, %q", g, m)
	}
	g, m = splitMatch("A 1")
	if g != "A 1" || m != "" {
		t.Fatalf("splitMatch = %q, %q", g, m)
	}
}

// TestRealMoshThroughSSHD runs the real `mosh` wrapper against the fixture
// sshd: ssh starts the real mosh-server, which the real mosh-client then
// reaches over UDP on loopback.
func TestRealMoshThroughSSHD(t *testing.T) {
	Short(t)
	MustHaveExec(t, "perl")
	priv, pub := NewUserKey(t, "", "")
	s := StartSSHD(t, SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := s.ClientConfig(t, "moshhost", priv)
	argv := append(MoshArgv(t, cfg), "--predict=never", "moshhost", "--", "/bin/sh")
	m := StartTmux(t, TmuxOptions{}, argv...)
	m.SendText("echo via-$((40+2))")
	m.SendKeys("Enter")
	m.WaitFor("via-42", 30*time.Second)
	servers := s.SessionPIDs()
	if len(servers) == 0 {
		t.Fatal("no process carries the sshd's SSH_CONNECTION")
	}
	m.SendText("exit")
	m.SendKeys("Enter")
	if st := m.WaitExit(20 * time.Second); st != 0 {
		t.Fatalf("mosh exit status %d; screen:\n%s", st, FrameScreen(m.Capture()))
	}
	for _, pid := range servers {
		if !WaitGone(pid, 10*time.Second) {
			t.Errorf("session pid %d still running after exit", pid)
		}
	}
}
