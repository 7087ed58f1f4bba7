package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/session"
)

func TestControlDirChecks(t *testing.T) {
	uid := os.Getuid()
	base := t.TempDir()
	good := filepath.Join(base, "good")
	if err := makePrivateDir(good, uid); err != nil {
		t.Fatalf("a fresh directory: %v", err)
	}
	if st, _ := os.Lstat(good); st.Mode().Perm() != 0o700 {
		t.Errorf("made with mode %04o, want 0700", st.Mode().Perm())
	}
	if err := makePrivateDir(good, uid); err != nil {
		t.Errorf("an existing private directory: %v", err)
	}
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := makePrivateDir(open, uid); err == nil || !strings.Contains(err.Error(), "open to other users") {
		t.Errorf("a 0755 directory was accepted (%v)", err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	if err := makePrivateDir(link, uid); err == nil {
		t.Error("a symlink to a private directory was followed")
	}
	if err := checkPrivateDir(good, uid+1); err == nil || !strings.Contains(err.Error(), "another user") {
		t.Errorf("a directory of another uid was accepted (%v)", err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := makePrivateDir(file, uid); err == nil {
		t.Error("a plain file was accepted as the directory")
	}

	// XDG_RUNTIME_DIR is used only when it is private; TMPDIR's
	// directory is always a candidate, last.
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "XDG_RUNTIME_DIR" {
				return v
			}
			return ""
		}
	}
	tmpDir := filepath.Join(os.TempDir(), fmt.Sprintf("ssh-mosh-sessions-%d", uid))
	if d := controlDirs(env(good), uid); len(d) != 2 || d[0] != filepath.Join(good, "ssh-mosh-sessions") || d[1] != tmpDir {
		t.Errorf("private XDG_RUNTIME_DIR: %v", d)
	}
	for _, bad := range []string{open, link, "relative/dir", ""} {
		if d := controlDirs(env(bad), uid); len(d) != 1 || d[0] != tmpDir {
			t.Errorf("XDG_RUNTIME_DIR=%q: %v", bad, d)
		}
	}
}

// fakeLoop answers control requests as the session loop would.
func fakeLoop(ctl <-chan session.ControlRequest, key wire.Key, killed chan<- struct{}) {
	for req := range ctl {
		var r session.ControlReply
		switch req.Kind {
		case session.ControlInfo:
			r.Info = session.SessionInfo{Attached: false, Started: time.Unix(1700000000, 0), Width: 100, Height: 30}
		case session.ControlTakeover:
			r.Key = key
		case session.ControlKill:
			killed <- struct{}{}
		}
		req.Reply <- r
	}
}

func TestControlSocketRequests(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	ln, sf, err := listenControl(dir, 4242)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(sf.Path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", st, err)
	}
	ctl := make(chan session.ControlRequest)
	ended := make(chan struct{})
	key, _ := wire.NewKey()
	killed := make(chan struct{}, 1)
	go fakeLoop(ctl, key, killed)
	cs := &controlServer{ln: ln, ctl: ctl, ended: ended, id: 4242, command: "-bash", port: 60123, uid: os.Getuid(), log: slog.New(slog.DiscardHandler)}
	done := make(chan struct{})
	go func() { defer close(done); cs.serve() }()
	defer func() { close(ctl); ln.Close(); <-done; sf.remove() }()

	ss := listSessions([]string{dir}, 0)
	if len(ss) != 1 || ss[0].ID != 4242 || ss[0].Attached || ss[0].Width != 100 || ss[0].Command != "-bash" {
		t.Fatalf("listing: %+v", ss)
	}
	if got, want := formatSession(ss[0]), "4242\tdetached\t2023-11-14T22:13:20Z\t-\t100x30\t-bash"; got != want {
		t.Errorf("listing line %q, want %q", got, want)
	}
	var out, errb strings.Builder
	if st := attach([]string{dir}, "", &out, &errb); st != 0 {
		t.Fatalf("attach: %d %s", st, errb.String())
	}
	if want := fmt.Sprintf("MOSH CONNECT 60123 %s\n", key.String()); out.String() != want {
		t.Errorf("attach printed %q, want %q", out.String(), want)
	}
	out.Reset()
	if st := attach([]string{dir}, "77", &out, &errb); st == 0 {
		t.Error("attach to a missing ID succeeded")
	}
	if st := kill([]string{dir}, "4242", &out, &errb); st != 0 {
		t.Fatalf("kill: %d %s", st, errb.String())
	}
	select {
	case <-killed:
	case <-time.After(5 * time.Second):
		t.Fatal("kill did not reach the session")
	}
	// An unknown request gets an error, not an action.
	if _, err := ask(sf.Path, "bogus"); err == nil || !strings.Contains(err.Error(), "unknown control request") {
		t.Errorf("unknown request: %v", err)
	}
}

func TestControlRefusesNoSessions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	if err := makePrivateDir(dir, os.Getuid()); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if st, ok := ctlCommand([]string{"sessions"}, &out, &errb); !ok || st != 0 {
		t.Errorf("sessions: %d %v", st, ok)
	}
	if !strings.HasPrefix(out.String(), "ID\t") {
		t.Errorf("sessions printed %q", out.String())
	}
	if st := attach([]string{dir}, "", &out, &errb); st == 0 || !strings.Contains(errb.String(), "no detached session") {
		t.Errorf("attach with none: %d %q", st, errb.String())
	}
}

// peerHelperEnv makes the test binary a client that connects to the
// socket it names and prints the answer to "info".
const peerHelperEnv = "SSH_MOSH_TEST_PEER_HELPER"

func TestMain(m *testing.M) {
	if p := os.Getenv(peerHelperEnv); p != "" {
		c, err := net.Dial("unix", p)
		if err != nil {
			fmt.Println("dial:", err)
			os.Exit(1)
		}
		fmt.Fprintln(c, reqInfo)
		b, _ := io.ReadAll(bufio.NewReader(c))
		fmt.Printf("answer:%s\n", b)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestControlPeerCredentials(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("unix", path)
		if err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}
	}()
	c, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPeer(rc, os.Getuid()); err != nil {
		t.Errorf("our own uid refused: %v", err)
	}
	if err := checkPeer(rc, os.Getuid()+1); err == nil {
		t.Error("a peer was accepted for another uid")
	}
	c.Close()

	if os.Getuid() != 0 {
		return // a real other uid needs root; the check above covers the rule
	}
	// As root: a process running as nobody connects to a socket it can
	// reach (the test opens the directory) and gets no answer.
	const nobody = 65534
	open := filepath.Join(t.TempDir(), "open")
	for _, d := range []string{filepath.Dir(open), open} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for d := filepath.Dir(filepath.Dir(open)); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755) // the test's own temp dirs
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(open, "helper")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(open, "ctl.sock")
	cln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o777); err != nil {
		t.Fatal(err)
	}
	ctl := make(chan session.ControlRequest)
	key, _ := wire.NewKey()
	go fakeLoop(ctl, key, make(chan struct{}, 1))
	cs := &controlServer{ln: cln, ctl: ctl, ended: make(chan struct{}), id: 1, uid: os.Getuid(), log: slog.New(slog.DiscardHandler)}
	done := make(chan struct{})
	go func() { defer close(done); cs.serve() }()
	defer func() { close(ctl); cln.Close(); <-done }()

	run := func(cred *syscall.Credential) string {
		cmd := exec.Command(bin)
		cmd.Env = []string{peerHelperEnv + "=" + sock}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper: %v: %s", err, out)
		}
		return string(out)
	}
	if out := run(nil); !strings.Contains(out, `"id":1`) {
		t.Fatalf("our own uid got %q", out)
	}
	if out := run(&syscall.Credential{Uid: nobody, Gid: nobody}); out != "answer:\n" {
		t.Errorf("uid %d got %q, want no answer", nobody, out)
	}
}
