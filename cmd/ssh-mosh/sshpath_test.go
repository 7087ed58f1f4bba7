package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// Sessions whose datagrams ride the SSH connection (--transport=ssh, or
// auto when UDP is blocked), against real sshd with the real mosh-server
// (through the Perl relay) and ours (through its unix socket).

// sshPathServer is the mosh-server a test asks for through --server.
type sshPathServer struct {
	name string
	// server returns the --server value ("" = the real one found on PATH),
	// run with env (NAME=value pairs) in front.
	server func(t *testing.T, f *remoteFixture, env ...string) string
}

var sshPathServers = []sshPathServer{
	{"real", func(t *testing.T, f *remoteFixture, env ...string) string {
		bin := testenv.MustHaveExec(t, "mosh-server")
		if len(env) == 0 {
			return ""
		}
		return "env " + strings.Join(env, " ") + " " + bin
	}},
	{"ours", func(t *testing.T, f *remoteFixture, env ...string) string {
		if len(env) == 0 {
			return f.server
		}
		return "env " + strings.Join(env, " ") + " " + f.server
	}},
}

// startSSHPath runs ssh-mosh with args through f's ssh_config in tmux and
// waits for the shell's prompt.
func startSSHPath(t *testing.T, f *remoteFixture, config, server string, args ...string) *testenv.Tmux {
	t.Helper()
	argv := []string{f.sshMosh, "-F", config}
	if server != "" {
		argv = append(argv, "--server="+server)
	}
	argv = append(argv, args...)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK=", "PS1=$ "}}, argv...)
	m.WaitFor("#", waitLong)
	return m
}

// runCmd types a command whose output differs from its text and waits for
// the output.
func runCmd(t *testing.T, m *testenv.Tmux, marker string) {
	t.Helper()
	m.SendText("echo " + marker + "-$((6*7))\r")
	m.WaitFor(marker+"-42", waitLong)
}

// askStatus types the escape key and the status key, and waits for the
// report on row 0 to start with want.
func askStatus(t *testing.T, m *testenv.Tmux, want string) {
	t.Helper()
	m.SendHex(0x1e)
	m.SendText("s")
	m.WaitForFunc("status "+want+" on row 0", func(screen string) bool {
		return strings.HasPrefix(strings.SplitN(screen, "\n", 2)[0], want)
	}, waitLong)
}

// wantNoSessionProcesses waits until no process started through s (relay,
// shell, mosh-server) is left.
func wantNoSessionProcesses(t *testing.T, s *testenv.SSHD, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		pids := s.SessionPIDs()
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, p := range pids {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
				desc = append(desc, fmt.Sprintf("%d %q", p, strings.ReplaceAll(string(b), "\x00", " ")))
			}
			t.Fatalf("processes of the session still running %v later:\n%s", within, strings.Join(desc, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sessionCommands lists the command lines, started through s, whose
// program's base name is prog.
func sessionCommands(s *testenv.SSHD, prog string) []string {
	var out []string
	for _, p := range s.SessionPIDs() {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		args := strings.Split(string(b), "\x00")
		if len(args) > 0 && filepath.Base(args[0]) == prog {
			out = append(out, strings.Join(args, " "))
		}
	}
	return out
}

// TestSSHTransportSession: --transport=ssh gives a working session with
// either server, the bar says so, and nothing is left behind after exit,
// after Ctrl-^ . and after the client is killed.
func TestSSHTransportSession(t *testing.T) {
	for _, srv := range sshPathServers {
		t.Run(srv.name+"/exit", func(t *testing.T) {
			f := newRemoteFixture(t)
			m := startSSHPath(t, f, f.config, srv.server(t, f), "--transport=ssh", "target")
			runCmd(t, m, "over-ssh")
			// The stock server is reached through the Perl relay, ours
			// through its unix socket (no relay at all).
			relays := sessionCommands(f.sshd, "perl")
			if want := srv.name == "real"; (len(relays) == 1) != want || (!want && len(relays) != 0) {
				t.Errorf("perl relays running: %q (want one: %v)", relays, want)
			}
			// The route notice went with the first key; the status key
			// shows the route on demand.
			askStatus(t, m, "mosh: SSH, RTT ")
			m.SendText("exit\r")
			if code := m.WaitExit(waitLong); code != 0 {
				t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
			}
			wantNoSessionProcesses(t, f.sshd, 10*time.Second)
		})
		t.Run(srv.name+"/quit", func(t *testing.T) {
			f := newRemoteFixture(t)
			m := startSSHPath(t, f, f.config, srv.server(t, f), "--transport=ssh", "target")
			runCmd(t, m, "quit")
			m.SendHex(0x1e)
			m.SendText(".")
			if code := m.WaitExit(waitLong); code != 0 {
				t.Fatalf("exit status %d after Ctrl-^ .; screen:\n%s", code, m.Capture())
			}
			wantNoSessionProcesses(t, f.sshd, 10*time.Second)
		})
		t.Run(srv.name+"/killed", func(t *testing.T) {
			f := newRemoteFixture(t)
			// The server ends by its network timeout (long enough for a slow
			// start on a loaded machine), the relay by EOF.
			m := startSSHPath(t, f, f.config, srv.server(t, f, "MOSH_SERVER_NETWORK_TMOUT=8"), "--transport=ssh", "target")
			runCmd(t, m, "killed")
			if err := syscall.Kill(m.PanePID(), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			wantNoSessionProcesses(t, f.sshd, 30*time.Second)
		})
	}
}

// TestSSHTransportServerOnlyUnixSocket: our server's unix socket is 0600 in
// a 0700 directory, and gone after the session.
func TestSSHTransportUnixSocketMode(t *testing.T) {
	f := newRemoteFixture(t)
	dir := t.TempDir()
	m := startSSHPath(t, f, f.config, "env XDG_RUNTIME_DIR="+dir+" "+f.server, "--transport=ssh", "target")
	runCmd(t, m, "sock")
	sockDir := filepath.Join(dir, "ssh-mosh")
	st, err := os.Stat(sockDir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket directory %s: %v, mode %v", sockDir, err, st.Mode())
	}
	socks, _ := filepath.Glob(filepath.Join(sockDir, "*.sock"))
	if len(socks) != 1 {
		t.Fatalf("sockets in %s: %v", sockDir, socks)
	}
	if st, err := os.Stat(socks[0]); err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket %s: %v, mode %v", socks[0], err, st.Mode())
	}
	m.SendText("exit\r")
	if code := m.WaitExit(waitLong); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	wantNoSessionProcesses(t, f.sshd, 10*time.Second)
	if _, err := os.Stat(socks[0]); !os.IsNotExist(err) {
		t.Errorf("socket %s left behind: %v", socks[0], err)
	}
}
