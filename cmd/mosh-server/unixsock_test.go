package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTakeUnixSocketRequest(t *testing.T) {
	none := func(string) string { return "" }
	rest, want := takeUnixSocketRequest([]string{"LANG=C.UTF-8", "SSH_MOSH_UNIX_SOCKET=1", "LC_ALL=C.UTF-8"}, none)
	if !want || !cmp.Equal(rest, []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8"}) {
		t.Errorf("with -l request: %q, %v", rest, want)
	}
	if _, want := takeUnixSocketRequest([]string{"SSH_MOSH_UNIX_SOCKET=0"}, none); want {
		t.Error("SSH_MOSH_UNIX_SOCKET=0 asked for a socket")
	}
	env := func(k string) string {
		if k == unixSocketVar {
			return "1"
		}
		return ""
	}
	if rest, want := takeUnixSocketRequest(nil, env); !want || len(rest) != 0 {
		t.Errorf("from the environment: %q, %v", rest, want)
	}
}

func TestUnixSocketDir(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return dir
		}
		return ""
	}
	if got := unixSocketDir(env); got != filepath.Join(dir, "ssh-mosh") {
		t.Errorf("with XDG_RUNTIME_DIR: %s", got)
	}
	if got := unixSocketDir(func(string) string { return "relative" }); got != filepath.Join(os.TempDir(), "ssh-mosh-"+strconv.Itoa(os.Getuid())) {
		t.Errorf("fallback: %s", got)
	}
}

func TestListenUnixPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ssh-mosh")
	if err := os.Mkdir(dir, 0o755); err != nil { // too open: tightened
		t.Fatal(err)
	}
	addr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 60123}
	ln, sf, err := listenUnix(dir, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	path := sf.Path
	defer os.Remove(path)
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", st.Mode().Perm())
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode %v, want a 0600 socket", st.Mode())
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	c.Close()
	// A stale file of the same name (a crashed server) is replaced.
	ln.Close()
	ln2, sf2, err := listenUnix(dir, addr)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	ln2.Close()
	if sf2.Path != path {
		t.Errorf("a stale socket was not replaced: %s, then %s", path, sf2.Path)
	}
}

func TestEnsurePrivateDirRefusesOthers(t *testing.T) {
	base := t.TempDir()
	link := filepath.Join(base, "ssh-mosh")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := ensurePrivateDir(link); err == nil {
		t.Error("a symlink was accepted as the socket directory")
	}
	if os.Getuid() == 0 {
		other := filepath.Join(base, "other")
		if err := os.Mkdir(other, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Skip(err)
		}
		if err := ensurePrivateDir(other); err == nil {
			t.Error("another user's directory was accepted")
		}
	}
}

func TestRelayArguments(t *testing.T) {
	for _, args := range [][]string{nil, {"127.0.0.1"}, {"127.0.0.1", "0"}, {"127.0.0.1", "x"}, {"localhost", "60001"}} {
		if code := runRelay(args); code != 2 {
			t.Errorf("runRelay(%q) = %d, want 2", args, code)
		}
	}
}
