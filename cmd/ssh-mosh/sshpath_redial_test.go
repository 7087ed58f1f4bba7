package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// proxiedTarget is the fixture's sshd reached through a netem TCP proxy:
// the config's "target" goes through it.
func proxiedTarget(t *testing.T, f *remoteFixture, c netem.Config) (*netem.TCPProxy, string) {
	t.Helper()
	proxy, err := netem.NewTCPProxy("127.0.0.1:0", f.sshd.Addr, c)
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
		"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  IdentityFile %s\n  IdentitiesOnly yes\n", port, kh, f.key))
	return proxy, cfg
}

// shellArgs run a plain sh with a fixed prompt as the remote command, so
// the screen can be compared with a local terminal's.
var shellArgs = []string{"-t", "target", "env", "PS1='$ '", "ENV=", "/bin/sh"}

// killConnectionSSHDs kills (SIGKILL) the per-connection sshd processes of
// s: the SSH connection dies as if its host had dropped it.
func killConnectionSSHDs(t *testing.T, s *testenv.SSHD) int {
	t.Helper()
	n := 0
	for _, p := range testenv.Descendants(s.PID) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p))
		if strings.HasPrefix(strings.TrimSpace(string(b)), "sshd") {
			if syscall.Kill(p, syscall.SIGKILL) == nil {
				n++
			}
		}
	}
	return n
}

// TestSSHPathSurvivesConnectionLoss: the SSH connection carrying the
// datagrams dies mid-session (a TCP proxy drops it, or the sshd serving it
// is killed). ssh-mosh dials again, keys typed meanwhile run, and the
// screen is then what the same keys give on a plain terminal.
func TestSSHPathSurvivesConnectionLoss(t *testing.T) {
	kills := []struct {
		name string
		kill func(t *testing.T, f *remoteFixture, proxy *netem.TCPProxy)
	}{
		{"proxy-drop", func(t *testing.T, f *remoteFixture, proxy *netem.TCPProxy) {
			if proxy.Conns() == 0 {
				t.Fatal("no connection through the proxy")
			}
			proxy.DropAll()
		}},
		{"kill-sshd", func(t *testing.T, f *remoteFixture, proxy *netem.TCPProxy) {
			if killConnectionSSHDs(t, f.sshd) == 0 {
				t.Fatal("no sshd process serving the connection")
			}
		}},
	}
	for _, srv := range sshPathServers {
		for _, k := range kills {
			t.Run(srv.name+"/"+k.name, func(t *testing.T) {
				f := newRemoteFixture(t)
				proxy, cfg := proxiedTarget(t, f, netem.Config{})
				m := startSSHPathPrompt(t, f, cfg, srv.server(t, f), append([]string{"--transport=ssh"}, shellArgs...)...)
				// Row 0 may hold the bar (a re-dial while contact is
				// being lost): the output starts below it.
				lines := []string{"clear; echo; echo before-$((1+1))", "echo during-$((2+2))", "echo after-$((3+3))"}
				waits := []string{"before-2\n", "during-4\n", "after-6\n$"}
				m.SendText(lines[0] + "\r")
				waitTrimmed(m, waits[0])

				k.kill(t, f, proxy)
				m.SendText(lines[1] + "\r")
				waitTrimmed(m, waits[1])
				if n := strings.Count(f.sshd.Log(), "Accepted publickey"); n < 2 {
					t.Errorf("%d logins on the target: no re-dial?", n)
				}
				m.SendText(lines[2] + "\r")
				got := waitTrimmed(m, waits[2])
				gx, gy := m.Cursor()

				ref := testenv.StartTmux(t, testenv.TmuxOptions{Term: "xterm", Env: []string{"PS1=$ ", "ENV="}}, "/bin/sh")
				for i, l := range lines {
					ref.SendText(l + "\r")
					ref.WaitFor(waits[i], waitLong)
				}
				want := ref.Capture()
				wx, wy := ref.Cursor()
				if dropRow0(trimRows(got)) != dropRow0(trimRows(want)) || gx != wx || gy != wy {
					t.Errorf("after the re-dial the session shows (cursor %d,%d):\n%s\na plain terminal shows (cursor %d,%d):\n%s",
						gx, gy, testenv.FrameScreen(got), wx, wy, testenv.FrameScreen(want))
				}
				m.SendText("exit\r")
				if code := m.WaitExit(waitLong); code != 0 {
					t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
				}
				wantNoSessionProcesses(t, f.sshd, 10*time.Second)
			})
		}
	}
}

func dropRow0(screen string) string {
	_, rest, _ := strings.Cut(screen, "\n")
	return rest
}

// startSSHPathPrompt is startSSHPath for a remote command whose prompt
// may be hidden by the bar.
func startSSHPathPrompt(t *testing.T, f *remoteFixture, config, server string, args ...string) *testenv.Tmux {
	t.Helper()
	argv := []string{f.sshMosh, "-F", config}
	if server != "" {
		argv = append(argv, "--server="+server)
	}
	argv = append(argv, args...)
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}}, argv...)
	// The first prompt may sit on row 0, under the route notice (shown for
	// a few seconds at the start): wait for the notice.
	m.WaitFor("mosh: Over SSH.", waitLong)
	return m
}
