package main

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestLocalFamily: --local with --family=inet6 serves on ::1 and the
// client talks IPv6, with inet both use IPv4; the session types either way. The sockets are
// read from the process's descriptors and /proc/net/udp{,6}.
func TestLocalFamily(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	for _, tt := range []struct{ family, want string }{{"inet6", "::1"}, {"inet", "127.0.0.1"}, {"prefer-inet6", "::1"}} {
		t.Run(tt.family, func(t *testing.T) {
			env, marker := localEnv(t)
			s := startClient(t, testenv.TmuxOptions{},
				[]string{"env", "SHELL=/bin/sh", "ENV=", bin, "--local", "--family=" + tt.family}, env...)
			s.run("echo family-$((40+2))", "family-42\n")
			var pid int
			for _, p := range leftovers(marker) {
				if exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(p), "exe")); exe == bin {
					pid = p
				}
			}
			if pid == 0 {
				t.Fatalf("no ssh-mosh process among:\n%s", describe(leftovers(marker)))
			}
			addrs := udpAddrs(t, pid)
			if len(addrs) == 0 {
				t.Fatal("the session has no UDP socket")
			}
			// The server is bound to the loopback address, the client's
			// socket to its family's wildcard; none is of the other family.
			server := false
			for _, a := range addrs {
				server = server || a == tt.want
				if (net.ParseIP(a).To4() == nil) != (net.ParseIP(tt.want).To4() == nil) {
					t.Errorf("--family=%s: a UDP socket on %s (all: %q)", tt.family, a, addrs)
				}
			}
			if !server {
				t.Errorf("--family=%s: no UDP socket on %s (all: %q)", tt.family, tt.want, addrs)
			}
			s.quit()
			expectNoLeftovers(t, marker)
		})
	}
}

// udpAddrs returns the local IP of each UDP socket pid holds.
func udpAddrs(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		l, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd.Name()))
		if ino, ok := strings.CutPrefix(l, "socket:["); ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"udp", "udp6"} {
		data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "net", table))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			hexIP, _, _ := strings.Cut(f[1], ":")
			b, err := hex.DecodeString(hexIP)
			if err != nil {
				t.Fatalf("%s: %q", table, line)
			}
			// The kernel prints each 32-bit word in host (little-endian) order.
			for i := 0; i+4 <= len(b); i += 4 {
				b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
			}
			out = append(out, net.IP(b).String())
		}
	}
	return out
}

// TestRemoteFamilyInet6: a login through an sshd on 127.0.0.1 and ::1 with
// --family=inet6 to a host named by both: the SSH connection, hence
// mosh-server's bind (new -s) and the client's UDP socket, are IPv6.
func TestRemoteFamilyInet6(t *testing.T) {
	f := newRemoteFixtureWith(t, "ListenAddress ::1")
	cfg := writeConfig(t, fmt.Sprintf("Host dual\n  HostName ::1\n  Port %d\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n"+
		"  UserKnownHostsFile /dev/null\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  LogLevel ERROR\n", f.sshd.Port, f.key))
	m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}},
		f.sshMosh, "-F", cfg, "--family=inet6", "--transport=udp", "--server="+f.server, "dual")
	m.WaitFor("#", 20*time.Second)
	m.SendText("echo six-$((6*7))\r")
	m.WaitFor("six-42", 10*time.Second)
	// (The fixture's SessionPIDs knows sessions on 127.0.0.1 only: the
	// processes are found by their binaries, both built for this test.)
	var client, server []string
	for _, p := range testenv.PIDsWithEnv(func(string) bool { return true }) {
		switch exe, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(p), "exe")); exe {
		case f.server:
			server = append(server, udpAddrs(t, p)...)
		case f.sshMosh:
			client = append(client, udpAddrs(t, p)...)
		}
	}
	if len(server) == 0 || len(client) == 0 {
		t.Fatalf("UDP sockets: server %q, client %q", server, client)
	}
	for _, a := range server {
		if a != "::1" {
			t.Errorf("mosh-server bound %s, want ::1 (all: %q)", a, server)
		}
	}
	for _, a := range client {
		if net.ParseIP(a).To4() != nil {
			t.Errorf("the client's UDP socket is IPv4 (%s)", a)
		}
	}
	m.SendText("exit\r")
	if code := m.WaitExit(15 * time.Second); code != 0 {
		t.Fatalf("ssh-mosh exited %d; screen:\n%s", code, m.Capture())
	}
}
