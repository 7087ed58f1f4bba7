package testenv

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// moshServerStartTimeout bounds `mosh-server new` until it has detached.
const moshServerStartTimeout = 15 * time.Second

// MoshServer is a detached mosh-server (real or ours) waiting for its
// client on 127.0.0.1.
type MoshServer struct {
	// Port is the UDP port and Key the session key from
	// `MOSH CONNECT <port> <key>`.
	Port int
	Key  string
	// PID is the detached server's pid from `[mosh-server detached, pid = N]`.
	PID int
	// Stdout and Stderr are what `mosh-server new` printed before detaching.
	Stdout, Stderr string
}

var (
	moshConnectRE  = regexp.MustCompile(`(?m)^MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})\s*$`)
	moshDetachedRE = regexp.MustCompile(`\[mosh-server detached, pid = (\d+)\]`)
)

// StartMoshServer runs `<bin> new -i 127.0.0.1 <args…>` (bin "" means the
// real mosh-server) with LANG=C.UTF-8, and returns once it has detached.
// Any binary with mosh-server's command line works, so the same helper
// starts ours. The detached server and whatever it started are stopped by
// pid at cleanup.
//
// Pass "-p", port to choose the port and "--", argv… for the program; the
// real server starts that program only when the first authentic datagram
// arrives.
func StartMoshServer(t testing.TB, bin string, args ...string) *MoshServer {
	t.Helper()
	return StartMoshServerEnv(t, bin, nil, args...)
}

// StartMoshServerEnv is StartMoshServer with KEY=value pairs added to the
// server's environment (after LANG=C.UTF-8, so they may override it).
func StartMoshServerEnv(t testing.TB, bin string, env []string, args ...string) *MoshServer {
	t.Helper()
	if bin == "" {
		bin = MustHaveExec(t, "mosh-server")
	}
	dir := t.TempDir()
	stdout := createFile(t, filepath.Join(dir, "stdout"))
	stderr := createFile(t, filepath.Join(dir, "stderr"))
	defer func() { _ = stdout.Close(); _ = stderr.Close() }()

	ctx, cancel := context.WithTimeout(context.Background(), moshServerStartTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"new", "-i", "127.0.0.1"}, args...)...)
	cmd.Env = append(utf8Env(os.Environ()), env...)
	// Files, not pipes: the detached child may keep inherited descriptors
	// open, and a pipe would keep us waiting for its end of life.
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	runErr := cmd.Run()

	s := &MoshServer{
		Stdout: readFile(t, stdout.Name()),
		Stderr: readFile(t, stderr.Name()),
	}
	// Register the stop before judging the output: a server that
	// detached but printed something odd must not outlive the test.
	if m := moshDetachedRE.FindStringSubmatch(s.Stderr + s.Stdout); m != nil {
		s.PID, _ = strconv.Atoi(m[1])
		t.Cleanup(func() { KillTree(s.PID) })
	}
	if runErr != nil {
		t.Fatalf("testenv: %s new: %v\nstdout:\n%s\nstderr:\n%s", bin, runErr, s.Stdout, s.Stderr)
	}
	m := moshConnectRE.FindStringSubmatch(s.Stdout)
	if m == nil {
		t.Fatalf("testenv: %s new printed no MOSH CONNECT line\nstdout:\n%s\nstderr:\n%s", bin, s.Stdout, s.Stderr)
	}
	s.Port, _ = strconv.Atoi(m[1])
	s.Key = m[2]
	if s.PID == 0 {
		t.Fatalf("testenv: %s new printed no [mosh-server detached, pid = N] line\nstderr:\n%s", bin, s.Stderr)
	}
	return s
}

// MoshClientArgv returns the command line and environment that attach the
// real mosh-client to a server on 127.0.0.1, for StartTmux (which sets
// TERM). The key travels in MOSH_KEY, never in argv.
func MoshClientArgv(t testing.TB, key string, port int) (argv []string, env []string) {
	t.Helper()
	bin := MustHaveExec(t, "mosh-client")
	return []string{bin, "127.0.0.1", strconv.Itoa(port)},
		[]string{"MOSH_KEY=" + key, "LANG=C.UTF-8"}
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the caller binds it; callers that
// can, should bind port 0 themselves.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free UDP port: %v", err)
	}
	defer func() { _ = c.Close() }()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// FreeTCPPort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free TCP port: %v", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// utf8Env replaces every locale variable of base by LANG=C.UTF-8: mosh
// refuses to run without a UTF-8 locale, and a developer's LC_ALL would
// override LANG.
func utf8Env(base []string) []string {
	env := make([]string, 0, len(base)+1)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if name == "LANG" || name == "LANGUAGE" || strings.HasPrefix(name, "LC_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LANG=C.UTF-8")
}

func createFile(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return f
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return string(b)
}

// MoshArgv returns the start of a command line for the real `mosh` wrapper
// (perl) that reaches hosts through OpenSSH's ssh with the given
// ssh_config (see SSHD.ClientConfig), in batch mode so no prompt can block.
// Append mosh options, the host alias and the remote command. Run it in
// StartTmux with LANG=C.UTF-8 (StartTmux's default).
func MoshArgv(t testing.TB, sshConfigPath string) []string {
	t.Helper()
	mosh := MustHaveExec(t, "mosh")
	MustHaveExec(t, "mosh-client")
	ssh := MustHaveExec(t, "ssh")
	return []string{mosh, "--ssh=" + ShellQuote(ssh) + " -F " + ShellQuote(sshConfigPath) + " -o BatchMode=yes"}
}
