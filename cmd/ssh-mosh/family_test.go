package main

import (
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
