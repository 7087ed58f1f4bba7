package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// listenFor is listenUnix in dir for addr, closed and removed at the end.
func listenFor(t *testing.T, dir string, addr *net.UDPAddr) (*net.UnixListener, socketFile) {
	t.Helper()
	ln, sf, err := listenUnix(dir, addr)
	if err != nil {
		t.Fatalf("listenUnix(%v): %v", addr, err)
	}
	t.Cleanup(func() { ln.Close(); sf.remove() })
	return ln, sf
}

// reaches dials path and reports whether ln (and not another listener)
// accepts the connection.
func reaches(t *testing.T, path string, ln *net.UnixListener) bool {
	t.Helper()
	c, err := net.DialTimeout("unix", path, waitShort)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = ln.SetDeadline(time.Now().Add(waitShort))
	a, err := ln.Accept()
	if err != nil {
		return false
	}
	a.Close()
	return true
}

func TestSocketNames(t *testing.T) {
	for _, tc := range []struct {
		addr *net.UDPAddr
		n    int
		want string
	}{
		{&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 60001}, 1, "60001-127.0.0.2.sock"},
		{&net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 60001}, 3, "60001-127.0.0.2-3.sock"},
		{&net.UDPAddr{IP: net.IPv4zero, Port: 60001}, 1, "60001-any.sock"},
		{&net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 60002, Zone: "eth0"}, 1, "60002-fe80__1%eth0.sock"},
		{&net.UDPAddr{Port: 60003}, 1, "60003-any.sock"},
	} {
		if got := socketName(tc.addr, tc.n); got != tc.want {
			t.Errorf("socketName(%v, %d) = %q, want %q", tc.addr, tc.n, got, tc.want)
		}
	}
}

// Two servers holding one UDP port on different local addresses get
// separate sockets, each reaching its own server; one's end leaves the
// other's socket working.
func TestListenUnixPerAddress(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ssh-mosh")
	ln1, sf1 := listenFor(t, dir, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 60123})
	ln2, sf2 := listenFor(t, dir, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 60123})
	if sf1.Path == sf2.Path {
		t.Fatalf("both servers got %s", sf1.Path)
	}
	if !reaches(t, sf1.Path, ln1) || !reaches(t, sf2.Path, ln2) {
		t.Fatal("a socket does not reach its own server")
	}
	ln1.Close()
	sf1.remove()
	if fileExists(sf1.Path) {
		t.Errorf("the first server's socket %s is still there", sf1.Path)
	}
	if !reaches(t, sf2.Path, ln2) {
		t.Fatal("the first server's end broke the second's socket")
	}
}

// A socket that answers is never replaced, whatever its name: the next name
// is used. One that refuses connections is stale and is replaced.
func TestListenUnixNeverReplacesLiveSocket(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ssh-mosh")
	if err := ensurePrivateDir(dir); err != nil {
		t.Fatal(err)
	}
	addr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 60200}
	first := filepath.Join(dir, socketName(addr, 1))
	// A live server of another session on that name (e.g. bound to the
	// wildcard address, or the port was reused).
	other, err := net.ListenUnix("unix", &net.UnixAddr{Name: first, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ln, sf := listenFor(t, dir, addr)
	if sf.Path == first {
		t.Fatalf("took the live socket's name %s", first)
	}
	if !reaches(t, first, other) || !reaches(t, sf.Path, ln) {
		t.Fatal("the two sockets do not each reach their own listener")
	}
	// The live one dies without removing its file: stale, replaced by the
	// next server.
	other.SetUnlinkOnClose(false)
	other.Close()
	ln3, sf3 := listenFor(t, dir, addr)
	if sf3.Path != first || !reaches(t, first, ln3) {
		t.Fatalf("the stale socket was not replaced: got %s", sf3.Path)
	}
}

// A server removes only the file it created: if its name now belongs to
// another server's socket, that one stays.
func TestSocketRemoveOnlyOwn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ssh-mosh")
	ln, sf := listenFor(t, dir, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 60300})
	ln.Close()
	// Ours stopped answering; another server took the name.
	if err := os.Remove(sf.Path); err != nil {
		t.Fatal(err)
	}
	other, err := net.ListenUnix("unix", &net.UnixAddr{Name: sf.Path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sf.remove()
	if !reaches(t, sf.Path, other) {
		t.Fatal("removed another server's socket")
	}
	// That server, in turn, removes its own once it stops answering.
	theirs, err := created(sf.Path)
	if err != nil {
		t.Fatal(err)
	}
	theirs.remove()
	if !fileExists(sf.Path) {
		t.Fatal("removed a socket that still answers")
	}
	other.SetUnlinkOnClose(false)
	other.Close()
	theirs.remove()
	if fileExists(sf.Path) {
		t.Fatal("did not remove its own socket")
	}
}

var socketLineRE = regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(unixSocketMark) + `(\S+)$`)

// The real binaries: two servers on one UDP port, one on 127.0.0.1 and one
// on 127.0.0.2, print separate socket paths that each answer; when the
// first ends, its file goes and the second's stays and answers.
func TestTwoServersOnePortSeparateSockets(t *testing.T) {
	testenv.Short(t)
	runtime := t.TempDir()
	env := []string{"XDG_RUNTIME_DIR=" + runtime, unixSocketVar + "=1"}
	port := testenv.FreeUDPPort(t)
	start := func(ip string) (string, int) {
		srv := testenv.StartMoshServerEnv(t, ourServer(t), env, "-i", ip, "-p", itoa(port), "--", "/bin/sh")
		m := socketLineRE.FindStringSubmatch(srv.Stdout)
		if m == nil || srv.Port != port {
			t.Fatalf("server on %s: port %d, output:\n%s", ip, srv.Port, srv.Stdout)
		}
		return m[1], srv.PID
	}
	path1, pid1 := start("127.0.0.1")
	path2, _ := start("127.0.0.2")
	if path1 == path2 {
		t.Fatalf("both servers print %s", path1)
	}
	for _, p := range []string{path1, path2} {
		if !dialable(p) {
			t.Fatalf("%s does not answer", p)
		}
	}
	if err := syscall.Kill(pid1, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !testenv.WaitGone(pid1, waitShort) {
		t.Fatalf("server %d still running after SIGTERM", pid1)
	}
	if fileExists(path1) {
		t.Errorf("the ended server's socket %s is still there", path1)
	}
	if !dialable(path2) {
		t.Fatalf("the first server's end took the second's socket %s", path2)
	}
}

// dialable reports whether a connection to the unix socket path succeeds
// and the server keeps it open (it reads frames, it does not hang up).
func dialable(path string) bool {
	c, err := net.DialTimeout("unix", path, waitShort)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = bufio.NewReader(c).ReadByte()
	return err != nil && strings.Contains(err.Error(), "timeout")
}
