package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sshdStartTimeout bounds the wait for a fresh sshd to answer with its
// banner.
const sshdStartTimeout = 10 * time.Second

// sshdPortAttempts is how many ports StartSSHD tries: the port is chosen
// free, but another test may take it before sshd binds it.
const sshdPortAttempts = 5

// toolTimeout bounds one run of ssh-keygen or ssh-add.
const toolTimeout = 20 * time.Second

// SSHD is a real OpenSSH server on 127.0.0.1 with its own host key,
// configuration and authorized keys. It reads nothing of the machine's
// sshd configuration or of /root/.ssh.
type SSHD struct {
	Addr string // "127.0.0.1:port" (or the ListenAddr asked for)
	Host string // the listen address alone: "127.0.0.1"
	Port int
	// HostKeyPub is the host key in authorized_keys form ("ssh-ed25519 AAAA…").
	HostKeyPub string
	// KnownHostsLine is the known_hosts line for Addr: "[127.0.0.1]:port ssh-ed25519 AAAA…"
	// ("127.0.0.2 ssh-ed25519 AAAA…" on port 22).
	KnownHostsLine string
	// HostCAPub is the CA that signed the host certificate (authorized_keys
	// form), when SSHDOptions.HostCertificate asked for one.
	HostCAPub string
	// Dir holds the host key, sshd_config, authorized_keys and the log.
	Dir     string
	PID     int
	LogFile string
}

// SSHDOptions configure StartSSHD.
type SSHDOptions struct {
	// AuthorizedKeys are authorized_keys lines for root.
	AuthorizedKeys []string
	// Password offers password authentication. sshd runs without PAM, so
	// it checks /etc/shadow: root has no usable password here, so this
	// shows the prompt path and the refusal, not a successful login.
	Password bool
	// ExtraConfig is added to sshd_config. Its options come before the
	// defaults (sshd takes the first value it reads) and any Match block
	// goes last, where sshd wants it.
	ExtraConfig string
	// Env is added to sshd's environment.
	Env []string
	// ListenAddr is the loopback address to listen on ("" is 127.0.0.1).
	// Loopback has all of 127/8, so 127.0.0.2 and up give each test its own
	// port 22 beside anything on 127.0.0.1.
	ListenAddr string
	// Port is the port to listen on; 0 picks a free one. A fixed port
	// that is taken skips the test, except in CI, where it fails.
	Port int
	// HostCertificate makes a CA, signs the host key for ListenAddr with
	// it and serves the certificate (HostCertificate in sshd_config).
	HostCertificate bool
}

// StartSSHD starts sshd in the foreground (-D -e, log in LogFile) on a
// free port of 127.0.0.1 and returns once it answers with its SSH banner.
// It needs root. sshd, its connection processes and their sessions are
// stopped by pid at cleanup.
func StartSSHD(t testing.TB, opts SSHDOptions) *SSHD {
	t.Helper()
	MustHaveRoot(t)
	sshd := MustHaveExec(t, "sshd") // absolute: sshd refuses to run otherwise
	MustHaveExec(t, "ssh-keygen")
	// The privilege-separation directory Debian's sshd chroots into.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatalf("testenv: %v", err)
	}

	dir := t.TempDir()
	hostKey := filepath.Join(dir, "ssh_host_ed25519_key")
	keygen(t, "-t", "ed25519", "-N", "", "-C", "testenv-host", "-f", hostKey)
	pub := strings.Fields(readFile(t, hostKey+".pub"))
	if len(pub) < 2 {
		t.Fatalf("testenv: bad host public key in %s.pub", hostKey)
	}
	s := &SSHD{
		Dir:        dir,
		Host:       opts.ListenAddr,
		HostKeyPub: pub[0] + " " + pub[1],
		LogFile:    filepath.Join(dir, "sshd.log"),
	}
	if s.Host == "" {
		s.Host = "127.0.0.1"
	}
	if opts.HostCertificate {
		ca := filepath.Join(dir, "host_ca")
		keygen(t, "-t", "ed25519", "-N", "", "-C", "testenv-host-ca", "-f", ca)
		keygen(t, "-s", ca, "-I", "testenv-host", "-h", "-n", s.Host, hostKey+".pub")
		caPub := strings.Fields(readFile(t, ca+".pub"))
		s.HostCAPub = caPub[0] + " " + caPub[1]
		opts.ExtraConfig = "HostCertificate " + hostKey + "-cert.pub\n" + opts.ExtraConfig
	}
	authKeys := filepath.Join(dir, "authorized_keys")
	writeFile(t, authKeys, strings.Join(opts.AuthorizedKeys, "\n")+"\n", 0o600)

	for attempt := 1; ; attempt++ {
		s.Port = opts.Port
		if s.Port == 0 {
			s.Port = FreeTCPPort(t)
		}
		s.Addr = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
		cfg := filepath.Join(dir, "sshd_config")
		writeFile(t, cfg, sshdConfig(s, hostKey, authKeys, opts), 0o600)
		err := s.start(t, sshd, cfg, opts.Env)
		if err == nil {
			break
		}
		log, _ := os.ReadFile(s.LogFile)
		inUse := strings.Contains(string(log), "Address already in use")
		if inUse && opts.Port != 0 {
			if InCI() {
				t.Fatalf("testenv: %s is taken; CI needs it free for this test\n%s", s.Addr, log)
			}
			t.Skipf("testenv: %s is taken by another program; this test needs it free", s.Addr)
		}
		if attempt < sshdPortAttempts && inUse {
			continue
		}
		t.Fatalf("testenv: start sshd: %v\nlog %s:\n%s", err, s.LogFile, log)
	}
	s.KnownHostsLine = knownHostsName(s.Host, s.Port) + " " + s.HostKeyPub
	return s
}

// knownHostsName is how known_hosts names host:port: the bare host for
// port 22, "[host]:port" otherwise.
func knownHostsName(host string, port int) string {
	if port == 22 {
		return host
	}
	return fmt.Sprintf("[%s]:%d", host, port)
}

// sshdConfig writes an sshd_config that depends on no file of the machine.
func sshdConfig(s *SSHD, hostKey, authKeys string, opts SSHDOptions) string {
	extra, match := splitMatch(opts.ExtraConfig)
	password := "no"
	if opts.Password {
		password = "yes"
	}
	var b strings.Builder
	b.WriteString("# written by internal/testenv for one test\n")
	if extra != "" {
		b.WriteString(extra + "\n")
	}
	fmt.Fprintf(&b, `Port %d
ListenAddress %s
HostKey %s
AuthorizedKeysFile %s
PidFile %s
UsePAM no
PermitRootLogin yes
StrictModes no
LogLevel VERBOSE
PubkeyAuthentication yes
PasswordAuthentication %s
KbdInteractiveAuthentication no
PermitEmptyPasswords no
Subsystem sftp internal-sftp
AcceptEnv LANG LC_*
PrintMotd no
PrintLastLog no
UseDNS no
X11Forwarding no
MaxStartups 100
MaxSessions 100
`, s.Port, s.Host, hostKey, authKeys, filepath.Join(s.Dir, "sshd.pid"), password)
	if match != "" {
		b.WriteString(match + "\n")
	}
	return b.String()
}

// splitMatch cuts an sshd_config fragment at its first Match line.
func splitMatch(cfg string) (global, match string) {
	ls := strings.Split(cfg, "\n")
	for i, l := range ls {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], "Match") {
			return strings.TrimSpace(strings.Join(ls[:i], "\n")), strings.TrimSpace(strings.Join(ls[i:], "\n"))
		}
	}
	return strings.TrimSpace(cfg), ""
}

// start runs sshd once and waits for its banner. It fails (with the log
// to judge) when sshd exits first.
func (s *SSHD) start(t testing.TB, sshd, cfg string, env []string) error {
	t.Helper()
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("testenv: sshd log: %w", err)
	}
	defer func() { _ = logf.Close() }()
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfg)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	StartCmd(t, cmd)
	s.PID = cmd.Process.Pid
	// sshd does not end its connections when it exits, and a session
	// process that ignores SIGHUP outlives its connection, re-parented
	// away (so would a mosh-server started over ssh). Stop sshd's tree and
	// every process that carries this sshd's SSH_CONNECTION. Registered
	// after StartCmd, this runs first.
	pid := s.PID
	t.Cleanup(func() {
		KillPIDs(append(append([]int{pid}, Descendants(pid)...), s.SessionPIDs()...))
		KillPIDs(s.SessionPIDs()) // forked meanwhile
	})

	deadline := time.Now().Add(sshdStartTimeout)
	for {
		banner, err := readBanner(s.Addr)
		if err == nil {
			if !strings.HasPrefix(banner, "SSH-2.0-") {
				return fmt.Errorf("testenv: %s answered %q, not an SSH banner", s.Addr, banner)
			}
			return nil
		}
		if !Alive(s.PID) {
			return fmt.Errorf("testenv: sshd exited before accepting connections")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testenv: sshd on %s: %w after %v: %w", s.Addr, ErrTimeout, sshdStartTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readBanner connects to addr and reads the server's first line.
func readBanner(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", fmt.Errorf("testenv: dial: %w", err)
	}
	defer func() { _ = c.Close() }()
	if err := c.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return "", fmt.Errorf("testenv: deadline: %w", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("testenv: read banner: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// ClientConfig writes an ssh_config for `ssh -F` (and for our client) in a
// fresh temp dir: Host alias → this sshd as root, the host key pinned in
// its own known_hosts file and nothing else trusted. identity, when not "",
// is the only key offered (IdentitiesOnly); when "" the client uses its
// agent and default keys.
func (s *SSHD) ClientConfig(t testing.TB, alias, identity string) (configPath, knownHostsPath string) {
	t.Helper()
	dir := t.TempDir()
	knownHostsPath = filepath.Join(dir, "known_hosts")
	writeFile(t, knownHostsPath, s.KnownHostsLine+"\n", 0o600)
	var b strings.Builder
	fmt.Fprintf(&b, "Host %s\n", alias)
	fmt.Fprintf(&b, "  HostName %s\n  Port %d\n  User root\n", s.Host, s.Port)
	fmt.Fprintf(&b, "  UserKnownHostsFile %q\n  GlobalKnownHostsFile /dev/null\n", knownHostsPath)
	b.WriteString("  StrictHostKeyChecking yes\n  UpdateHostKeys no\n")
	b.WriteString("  ControlMaster no\n  ControlPath none\n  LogLevel ERROR\n")
	if identity != "" {
		fmt.Fprintf(&b, "  IdentityFile %q\n  IdentitiesOnly yes\n", identity)
	}
	configPath = filepath.Join(dir, "ssh_config")
	writeFile(t, configPath, b.String(), 0o600)
	return configPath, knownHostsPath
}

// SessionPIDs lists the live processes started through this sshd: those
// whose SSH_CONNECTION names its address ("client port 127.0.0.1 port").
func (s *SSHD) SessionPIDs() []int {
	suffix := " " + s.Host + " " + strconv.Itoa(s.Port)
	return PIDsWithEnv(func(kv string) bool {
		return strings.HasPrefix(kv, "SSH_CONNECTION=") && strings.HasSuffix(kv, suffix)
	})
}

// Log returns what sshd logged so far, for failure messages.
func (s *SSHD) Log() string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// NewUserKey generates an ed25519 key pair in dir ("" means a new temp
// dir) under a name not taken yet, encrypted with passphrase unless it is
// "". It returns the private key's path and the authorized_keys line.
func NewUserKey(t testing.TB, dir, passphrase string) (privPath, pubLine string) {
	t.Helper()
	MustHaveExec(t, "ssh-keygen")
	if dir == "" {
		dir = t.TempDir()
	}
	privPath = filepath.Join(dir, "id_ed25519")
	for i := 2; fileExists(privPath) || fileExists(privPath+".pub"); i++ {
		privPath = filepath.Join(dir, "id_ed25519_"+strconv.Itoa(i))
	}
	keygen(t, "-t", "ed25519", "-N", passphrase, "-C", "testenv-user", "-f", privPath)
	return privPath, strings.TrimSpace(readFile(t, privPath+".pub"))
}

// StartSSHAgent starts a real ssh-agent (-D, in the foreground) on a socket
// in a temp dir, loads keys (unencrypted private key paths) with ssh-add and
// returns the socket for SSH_AUTH_SOCK. The agent is stopped by pid at
// cleanup.
func StartSSHAgent(t testing.TB, keys ...string) (authSock string) {
	t.Helper()
	agent := MustHaveExec(t, "ssh-agent")
	add := ""
	if len(keys) > 0 {
		add = MustHaveExec(t, "ssh-add")
	}
	authSock = filepath.Join(shortTempDir(t), "agent.sock")
	cmd := exec.Command(agent, "-D", "-a", authSock)
	StartCmd(t, cmd)

	deadline := time.Now().Add(sshdStartTimeout)
	for {
		c, err := net.Dial("unix", authSock)
		if err == nil {
			_ = c.Close()
			break
		}
		if !Alive(cmd.Process.Pid) || time.Now().After(deadline) {
			t.Fatalf("testenv: ssh-agent did not listen on %s: %v", authSock, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, k := range keys {
		runTool(t, add, []string{"SSH_AUTH_SOCK=" + authSock}, k)
	}
	return authSock
}

// keygen runs ssh-keygen quietly.
func keygen(t testing.TB, args ...string) {
	t.Helper()
	runTool(t, MustHaveExec(t, "ssh-keygen"), nil, append([]string{"-q"}, args...)...)
}

// runTool runs an OpenSSH helper in a new session, so it has no terminal
// to prompt on: a passphrase question fails at once instead of hanging the
// test.
func runTool(t testing.TB, bin string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(withoutEnv(os.Environ(), "SSH_AUTH_SOCK", "SSH_ASKPASS", "DISPLAY"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("testenv: %s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
}

// withoutEnv drops the named variables from env.
func withoutEnv(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || name == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

func writeFile(t testing.TB, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// HashKnownHosts returns known_hosts content with its host names hashed by
// `ssh-keygen -H`, as a user's HashKnownHosts file has them.
func HashKnownHosts(t testing.TB, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, f, content, 0o600)
	keygen(t, "-H", "-f", f)
	got := readFile(t, f)
	if !strings.Contains(got, "|1|") {
		t.Fatalf("testenv: ssh-keygen -H did not hash %q", got)
	}
	return got
}

// StartSSHMaster starts OpenSSH's ssh as a connection-sharing master
// (ControlMaster yes, no command) for alias in configPath, and returns its
// control socket once the master listens there. The master is stopped at
// cleanup (by process group).
func StartSSHMaster(t testing.TB, configPath, alias string) string {
	t.Helper()
	ssh := MustHaveExec(t, "ssh")
	dir := shortTempDir(t)
	sock := filepath.Join(dir, "cm")
	cmd := exec.Command(ssh, "-F", configPath, "-o", "ControlMaster=yes", "-o", "ControlPath="+sock,
		"-o", "ControlPersist=no", "-N", alias)
	stderr := createFile(t, filepath.Join(dir, "stderr"))
	defer stderr.Close()
	cmd.Stderr = stderr
	StartCmd(t, cmd)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, err := os.Stat(sock); err == nil && st.Mode()&os.ModeSocket != 0 {
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: the ssh master made no control socket within 10s: %s", readFile(t, stderr.Name()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
