package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// The blocked-UDP tests run in a network namespace of their own (unshare
// -n) where only loopback exists and nftables drops UDP 60000-61000 from
// 127.0.0.1: the client's datagrams to the target (127.0.0.2) never
// arrive, while a relay on the target, which sends from the target's own
// address, still reaches its mosh-server. The test binary re-executes
// itself inside the namespace with netnsEnv set, selecting the same test.

// netnsEnv marks the re-executed test binary running inside the namespace.
const netnsEnv = "SSH_MOSH_TEST_IN_NETNS"

// netnsSetup brings loopback up and drops the client's UDP.
const netnsSetup = `set -e
ip link set lo up
nft add table ip sshmosh
nft add chain ip sshmosh in '{ type filter hook input priority 0; }'
nft add rule ip sshmosh in ip saddr 127.0.0.1 udp dport 60000-61000 drop
exec "$@"`

// inNetns reports whether the test runs inside its namespace. Outside, it
// runs the test there (failing if it fails) and returns false.
func inNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == "1" {
		return true
	}
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	for _, tool := range []string{"unshare", "nft", "ip", "sshd", "tmux", "mosh-server", "perl"} {
		testenv.MustHaveExec(t, tool)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.MustHaveExec(t, "unshare"), "-n", "--", "/bin/sh", "-c", netnsSetup, "netns",
		os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v", "-test.count=1", "-test.timeout=4m")
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in the network namespace: %v\n%s", err, out)
	}
	t.Logf("in the network namespace:\n%s", out)
	return false
}

// checkUDPBlocked proves the namespace's rule: 127.0.0.1 → 127.0.0.2:60999
// is dropped, 127.0.0.2 → 127.0.0.2:60999 arrives.
func checkUDPBlocked(t *testing.T) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.2:60999")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	send := func(from string) bool {
		c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.ParseIP(from)}, pc.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte(from))
		_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		buf := make([]byte, 64)
		n, _, err := pc.ReadFrom(buf)
		return err == nil && string(buf[:n]) == from
	}
	if send("127.0.0.1") {
		t.Fatal("UDP from 127.0.0.1 to port 60999 is not blocked in the namespace")
	}
	if !send("127.0.0.2") {
		t.Fatal("UDP from 127.0.0.2 to port 60999 is blocked too")
	}
}

// jumpChain is a target behind two jump hosts: hop1 and hop2 on 127.0.0.1,
// the target also listening on 127.0.0.2 (reached as 127.0.0.2 from hop2).
type jumpChain struct {
	f          *remoteFixture
	hop1, hop2 *testenv.SSHD
	config     string
	knownHosts string
}

func newJumpChain(t *testing.T) *jumpChain {
	t.Helper()
	dir := t.TempDir()
	key, pub := testenv.NewUserKey(t, dir, "")
	target := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: "ListenAddress 127.0.0.2"})
	hop1 := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	hop2 := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	kh := filepath.Join(dir, "known_hosts")
	lines := hop1.KnownHostsLine + "\n" + hop2.KnownHostsLine + "\n" +
		fmt.Sprintf("[127.0.0.2]:%d %s\n", target.Port, target.HostKeyPub)
	if err := os.WriteFile(kh, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("  IdentityFile %s\n  IdentitiesOnly yes\n", key)
	cfg := hostBlock("hop1", hop1, kh, id) + hostBlock("hop2", hop2, kh, id) +
		fmt.Sprintf("Host target\n  HostName 127.0.0.2\n  Port %d\n  User root\n  UserKnownHostsFile %s\n"+
			"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  ProxyJump hop1,hop2\n%s", target.Port, kh, id)
	f := &remoteFixture{
		sshd:    target,
		key:     key,
		config:  writeConfig(t, cfg),
		sshMosh: testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh"),
		server:  testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server"),
	}
	return &jumpChain{f: f, hop1: hop1, hop2: hop2, config: f.config, knownHosts: kh}
}

// TestBlockedUDPThroughJumpChain: with UDP blocked, `ssh-mosh target`
// through a 2-hop ProxyJump chain still gives a working session, with the
// stock mosh-server (Perl relay) and ours (unix socket); the bar and the
// closing notice name the UDP port.
func TestBlockedUDPThroughJumpChain(t *testing.T) {
	if !inNetns(t) {
		return
	}
	checkUDPBlocked(t)
	for _, srv := range sshPathServers {
		t.Run(srv.name, func(t *testing.T) {
			c := newJumpChain(t)
			argv := []string{c.f.sshMosh, "-F", c.config}
			if server := srv.server(t, c.f); server != "" {
				argv = append(argv, "--server="+server)
			}
			m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK=", "PS1=$ "}},
				append(argv, "target")...)
			// The route change shows in the bar and names the port; a
			// few seconds later, without a key typed, row 0 is the
			// application's again (it used to stay for the session).
			m.WaitFor("mosh: Over SSH (no reply on UDP port 60", waitLong)
			m.WaitForFunc("row 0 given back", func(screen string) bool {
				return !strings.Contains(strings.SplitN(screen, "\n", 2)[0], "mosh:")
			}, waitLong)
			m.WaitFor("#", waitLong)
			m.SendText("clear; echo hello\r")
			m.WaitForFunc("hello on row 0", func(screen string) bool {
				return strings.TrimRight(strings.SplitN(screen, "\n", 2)[0], " ") == "hello"
			}, waitLong)
			runCmd(t, m, "jumped-"+srv.name)
			askStatus(t, m, "mosh: SSH (UDP 60")
			for _, h := range []*testenv.SSHD{c.hop1, c.hop2} {
				if !strings.Contains(h.Log(), "Accepted publickey") {
					t.Errorf("hop on port %d saw no login", h.Port)
				}
			}
			m.SendText("exit\r")
			if code := m.WaitExit(waitLong); code != 0 {
				t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
			}
			screen := m.Capture()
			joined := strings.ReplaceAll(screen, "\n", "") // the notice wraps
			if !strings.Contains(joined, "UDP port 60") || !strings.Contains(joined, "continuing over SSH") ||
				!strings.Contains(joined, "--dport 60000:61000") {
				t.Errorf("no notice naming the port and the firewall rule after exit:\n%s", screen)
			}
			wantNoSessionProcesses(t, c.f.sshd, 10*time.Second)
		})
	}
}

// TestBlockedUDPThenOpen: a session that moved to SSH because UDP was
// blocked moves back to UDP once the firewall lets it through (a UDP probe
// is answered), and the bar goes away.
func TestBlockedUDPThenOpen(t *testing.T) {
	if !inNetns(t) {
		return
	}
	checkUDPBlocked(t)
	for _, srv := range sshPathServers {
		t.Run(srv.name, func(t *testing.T) {
			c := newJumpChain(t)
			m := startSSHPath(t, c.f, c.config, srv.server(t, c.f), "target")
			runCmd(t, m, "blocked")
			askStatus(t, m, "mosh: SSH (UDP 60")

			nft := func(args ...string) { runNft(t, args...) }
			nft("flush", "chain", "ip", "sshmosh", "in")
			t.Cleanup(func() {
				nft("add", "rule", "ip", "sshmosh", "in", "ip", "saddr", "127.0.0.1", "udp", "dport", "60000-61000", "drop")
			})
			waitBackOnUDP(t, m)
			runCmd(t, m, "open")
			m.SendText("exit\r")
			if code := m.WaitExit(waitLong); code != 0 {
				t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
			}
			if !strings.Contains(strings.ReplaceAll(m.Capture(), "\n", ""), "is back on UDP") {
				t.Errorf("no notice of the move back to UDP:\n%s", m.Capture())
			}
		})
	}
}

// TestBlockedUDPThroughMaster: with UDP blocked and a connection-sharing
// master up, the session starts through the master and its datagrams ride
// the master's connection too (a relay on the host, in a session of the
// master): no login of our own, with our server and with mosh's; the
// status key tells the route, and exit ends it as ssh through the master
// does.
func TestBlockedUDPThroughMaster(t *testing.T) {
	if !inNetns(t) {
		return
	}
	checkUDPBlocked(t)
	for _, srv := range sshPathServers {
		t.Run(srv.name, func(t *testing.T) {
			f := newDirectTarget(t)
			target, cfg := f.sshd, f.config
			sock := testenv.StartSSHMaster(t, cfg, "target")
			before := f.logins(t)
			m := startSSHPath(t, f, cfg, srv.server(t, f), "-o", "ControlPath="+sock, "target")
			runCmd(t, m, "master")
			askStatus(t, m, "mosh: SSH (UDP 60")
			m.SendText("exit\r")
			if code := m.WaitExit(waitLong); code != 0 {
				t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
			}
			if !strings.Contains(m.Capture(), "Shared connection to 127.0.0.2 closed.") {
				t.Errorf("no closing line of a session through a master:\n%s", m.Capture())
			}
			if n := f.logins(t) - before; n != 0 {
				t.Errorf("sshd accepted %d logins beside the master's", n)
			}
			wantNoSessionProcesses(t, target, 10*time.Second)
		})
	}
}

// TestUDPBlockedMidSession: a session that started on UDP (the SSH
// connection let go, as mosh's) carries on when UDP is dropped later: once
// UDP has been silent long enough, the SSH connection is dialled again
// (through the master when there is one) and the datagrams ride it; with
// our server and with mosh's.
func TestUDPBlockedMidSession(t *testing.T) {
	if !inNetns(t) {
		return
	}
	nft := func(args ...string) { runNft(t, args...) }
	block := []string{"add", "rule", "ip", "sshmosh", "in", "ip", "saddr", "127.0.0.1", "udp", "dport", "60000-61000", "drop"}
	// A network that drops UDP drops it both ways: the server's datagrams
	// to the client too (a relay on the target is not the client).
	blockBack := []string{"add", "rule", "ip", "sshmosh", "in", "ip", "daddr", "127.0.0.1", "udp", "sport", "60000-61000", "drop"}
	for _, tc := range []struct {
		name   string
		srv    sshPathServer
		master bool
	}{{"ours", sshPathServers[1], false}, {"real", sshPathServers[0], false}, {"ours-master", sshPathServers[1], true}} {
		t.Run(tc.name, func(t *testing.T) {
			nft("flush", "chain", "ip", "sshmosh", "in")
			t.Cleanup(func() { nft("flush", "chain", "ip", "sshmosh", "in"); nft(block...) })
			f := newDirectTarget(t)
			target, cfg := f.sshd, f.config
			args := []string{"target"}
			if tc.master {
				args = []string{"-o", "ControlPath=" + testenv.StartSSHMaster(t, cfg, "target"), "target"}
			}
			m := startSSHPath(t, f, cfg, tc.srv.server(t, f), args...)
			runCmd(t, m, "on-udp")
			askStatus(t, m, "mosh: UDP port 60")
			// The SSH connection is let go on UDP: no session of ours
			// beside the server's (a relay, or a channel to its socket).

			conns := func() int { return establishedTo(t, target.Port) }
			relays := func() []string {
				var r []string
				for _, c := range append(sessionCommands(target, "perl"), sessionCommands(target, "mosh-server")...) {
					if strings.HasPrefix(c, "perl ") || strings.Contains(c, " relay ") {
						r = append(r, c)
					}
				}
				return r
			}
			if n, r := conns(), relays(); n != btoi(tc.master) || len(r) != 0 {
				t.Errorf("on UDP: %d SSH connections to the target (want %d, the master's), relays %q", n, btoi(tc.master), r)
			}

			nft(block...)
			nft(blockBack...)
			m.SendText("echo blocked-$((6*7))\r")
			m.WaitFor("blocked-42", waitLong)
			askStatus(t, m, "mosh: SSH (UDP 60")

			// UDP comes back: the session moves back to it (a probe every
			// 10 s), and the SSH path is let go again.
			nft("flush", "chain", "ip", "sshmosh", "in")
			waitBackOnUDP(t, m)
			for deadline := time.Now().Add(waitLong); len(relays()) != 0 || conns() != btoi(tc.master); {
				if time.Now().After(deadline) {
					t.Fatalf("back on UDP, the SSH path stays: relays %q, %d connections", relays(), conns())
				}
				time.Sleep(100 * time.Millisecond)
			}
			runCmd(t, m, "back")
			m.SendText("exit\r")
			if code := m.WaitExit(waitLong); code != 0 {
				t.Fatalf("exit status %d; screen:\n%s", code, m.Capture())
			}
			wantNoSessionProcesses(t, target, 10*time.Second)
		})
	}
}

// establishedTo counts the established TCP connections to port (the
// target's sshd) from 127.0.0.1.
func establishedTo(t *testing.T, port int) int {
	t.Helper()
	out, err := exec.Command("ss", "-Htn", "state", "established", "src", "127.0.0.1", "dst", fmt.Sprintf("127.0.0.2:%d", port)).Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

// newDirectTarget is a remoteFixture whose sshd listens on 127.0.0.2 (the
// namespace's other address) and is reached there directly, as "target".
func newDirectTarget(t *testing.T) *remoteFixture {
	t.Helper()
	dir := t.TempDir()
	key, pub := testenv.NewUserKey(t, dir, "")
	target := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: "ListenAddress 127.0.0.2"})
	kh := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.2]:%d %s\n", target.Port, target.HostKeyPub)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, fmt.Sprintf("Host target\n  HostName 127.0.0.2\n  Port %d\n  User root\n  UserKnownHostsFile %s\n"+
		"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  IdentityFile %s\n  IdentitiesOnly yes\n", target.Port, kh, key))
	return &remoteFixture{sshd: target, key: key, config: cfg,
		sshMosh: testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh"),
		server:  testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server")}
}

// runNft runs nft with args in the test's namespace.
func runNft(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("nft", args...).CombinedOutput(); err != nil {
		t.Fatalf("nft %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// waitBackOnUDP asks for the status (the escape key, then s) until row 0
// says the session is on UDP: a probe goes out every 10 s.
func waitBackOnUDP(t *testing.T, m *testenv.Tmux) {
	t.Helper()
	deadline := time.Now().Add(2 * waitLong)
	for {
		m.SendHex(0x1e)
		m.SendText("s")
		time.Sleep(time.Second)
		if strings.HasPrefix(strings.SplitN(m.Capture(), "\n", 2)[0], "mosh: UDP port 60") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not back on UDP:\n%s", m.Capture())
		}
		time.Sleep(3 * time.Second) // let the report expire
	}
}
