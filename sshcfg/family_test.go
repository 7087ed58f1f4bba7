package sshcfg

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestOrderAddrs: each --family value filters and orders a dual-stack
// host's addresses as mosh.pl's resolvename does.
func TestOrderAddrs(t *testing.T) {
	a4, b4 := net.ParseIP("192.0.2.1"), net.ParseIP("192.0.2.2")
	a6, b6 := net.ParseIP("2001:db8::1"), net.ParseIP("2001:db8::2")
	dual := []net.IP{a6, a4, b6, b4}
	for _, tt := range []struct {
		family string
		in     []net.IP
		want   []net.IP
		err    string
	}{
		{"inet", dual, []net.IP{a4, b4}, ""},
		{"inet6", dual, []net.IP{a6, b6}, ""},
		{"prefer-inet", dual, []net.IP{a4, b4, a6, b6}, ""},
		{"prefer-inet6", []net.IP{a4, a6, b4}, []net.IP{a6, a4, b4}, ""},
		{"all", dual, dual, ""},
		{"", dual, dual, ""},
		{"auto", []net.IP{a4, b4}, []net.IP{a4, b4}, ""},
		{"auto", dual, nil, "both IPv4 and IPv6"},
		{"inet", []net.IP{a6}, nil, "no IPv4 address"},
		{"inet6", []net.IP{a4}, nil, "no IPv6 address"},
		{"ipx", dual, nil, "unknown address family"},
	} {
		got, err := orderAddrs(tt.in, tt.family)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want %q", tt.family, err, tt.err)
			}
			continue
		}
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.family, got, err, tt.want)
		}
	}
	if _, err := orderAddrs([]net.IP{a4, a6}, "auto"); !errors.Is(err, ErrBothFamilies) {
		t.Errorf("auto on a dual-stack host: %v, want ErrBothFamilies", err)
	}
}

// TestDialFamilyOrder: dialFamily connects to the first address that
// answers, in the order given, on loopback 127.0.0.1 and ::1.
func TestDialFamilyOrder(t *testing.T) {
	l4, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Close()
	port := l4.Addr().(*net.TCPAddr).Port
	l6, err := net.Listen("tcp6", fmt.Sprintf("[::1]:%d", port))
	if err != nil {
		t.Fatalf("IPv6 loopback on port %d: %v", port, err)
	}
	both := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	for _, tt := range []struct {
		family, want string
	}{{"prefer-inet", "127.0.0.1"}, {"prefer-inet6", "::1"}, {"inet6", "::1"}, {"inet", "127.0.0.1"}} {
		addrs, err := orderAddrs(both, tt.family)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := dialFamily(dialCtx(t), addrs, port)
		if err != nil {
			t.Fatalf("%s: %v", tt.family, err)
		}
		if got := nc.RemoteAddr().(*net.TCPAddr).IP.String(); got != tt.want {
			t.Errorf("%s: connected to %s, want %s", tt.family, got, tt.want)
		}
		nc.Close()
	}
	// IPv6 gone: prefer-inet6 falls back to IPv4, inet6 fails.
	l6.Close()
	addrs, _ := orderAddrs(both, "prefer-inet6")
	nc, err := dialFamily(dialCtx(t), addrs, port)
	if err != nil || nc.RemoteAddr().(*net.TCPAddr).IP.String() != "127.0.0.1" {
		t.Fatalf("prefer-inet6 without an IPv6 listener: %v, %v", nc, err)
	}
	nc.Close()
	addrs, _ = orderAddrs(both, "inet6")
	if nc, err := dialFamily(dialCtx(t), addrs, port); err == nil {
		nc.Close()
		t.Fatal("inet6 without an IPv6 listener connected")
	}
}

// TestDialFamilySSHD: through a real sshd listening on 127.0.0.1 and ::1,
// Config.Family decides which address the connection reaches (RemoteIP,
// where the UDP session goes) and so the address sshd reports in
// SSH_CONNECTION (where mosh-server new -s binds).
func TestDialFamilySSHD(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}, ExtraConfig: "ListenAddress ::1"})
	dir := t.TempDir()
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, []byte("famtest "+sshd.HostKeyPub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hostName, addressFamily, family string
		want                            string // RemoteIP; "" for a refusal
	}{
		{"::1", "", "inet6", "::1"},
		{"127.0.0.1", "", "inet", "127.0.0.1"},
		{"::1", "", "prefer-inet", "::1"}, // the only address
		{"::1", "", "inet", ""},
		{"127.0.0.1", "inet", "inet6", ""}, // --family wins over AddressFamily
		{"::1", "inet6", "", "::1"},
	} {
		body := fmt.Sprintf("Host fam\n  HostName %s\n  Port %d\n  User root\n  HostKeyAlias famtest\n  UserKnownHostsFile %s\n"+
			"  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  IdentityFile %s\n  IdentitiesOnly yes\n",
			tt.hostName, sshd.Port, known, priv)
		if tt.addressFamily != "" {
			body += "  AddressFamily " + tt.addressFamily + "\n"
		}
		c := resolveFor(t, writeConfig(t, body), "fam")
		c.Family = tt.family
		conn, err := Dial(dialCtx(t), c, FuncPrompter{})
		if tt.want == "" {
			if err == nil {
				conn.Close()
				t.Errorf("%+v: connected, want a refusal", tt)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		if conn.RemoteIP.String() != tt.want {
			t.Errorf("%+v: RemoteIP %v", tt, conn.RemoteIP)
		}
		if f := strings.Fields(remoteOutput(t, conn, "echo $SSH_CONNECTION")); len(f) != 4 || f[2] != tt.want {
			t.Errorf("%+v: SSH_CONNECTION %q, want the server address %s", tt, f, tt.want)
		}
		conn.Close()
	}
}
