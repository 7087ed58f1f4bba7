package loginrec

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
)

// lines is a Log that keeps what it is given.
type lines struct {
	mu sync.Mutex
	l  []string
}

func (l *lines) Info(m string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, m)
	return nil
}

func (l *lines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.l...)
}

// recordingHelper is a helper program that appends its arguments and the
// terminal its standard input is the master of (the "TIOCGPTN" number
// the real helpers read, from /proc) to a file, a call a line: what the
// real helpers are given, without their privilege.
func recordingHelper(t *testing.T) (*Helper, func() []string) {
	t.Helper()
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "helper")
	body := "#!/bin/sh\necho \"$*|$(sed -n 's/^tty-index:[[:space:]]*//p' /proc/self/fdinfo/0)\" >> " + calls + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	h := Helper{Path: script, Add: func(host string) []string { return []string{"add", host} }, Del: []string{"del"}}
	return &h, func() []string {
		b, err := os.ReadFile(calls)
		if err != nil {
			return nil
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
}

// openPty opens a pty and returns a close-on-exec duplicate of its master
// (what session.ptyProgram.DupMaster gives) and the terminal's number.
func openPty(t *testing.T) (*os.File, string) {
	t.Helper()
	m, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	t.Cleanup(func() { m.Close(); tty.Close() })
	raw, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var f *os.File
	if err := raw.Control(func(fd uintptr) {
		nfd, err := dupCloexec(int(fd))
		if err != nil {
			t.Fatal(err)
		}
		f = os.NewFile(uintptr(nfd), "ptmx")
	}); err != nil {
		t.Fatal(err)
	}
	return f, strings.TrimPrefix(tty.Name(), "/dev/pts/")
}

func TestRecorderLifecycle(t *testing.T) {
	h, calls := recordingHelper(t)
	log := &lines{}
	passed := make(chan struct{})
	r := newRecorder(Config{User: "alice", PID: 4242, Helper: h, Log: log, StreamHost: "192.0.2.9"}, passed)
	ptmx, n := openPty(t)
	r.Started(ptmx)
	<-passed
	r.Connected(&net.UDPAddr{IP: net.ParseIP("::ffff:198.51.100.7"), Port: 60001})
	<-passed
	r.Detached()
	<-passed
	r.Connected(streamAddr{})
	<-passed
	r.Ended()

	on := "|" + n
	want := []string{
		"add mosh [4242]" + on,
		"del" + on, "add 198.51.100.7 via mosh [4242]" + on,
		"del" + on, "add mosh [4242]" + on,
		"del" + on, "add 192.0.2.9 via mosh [4242]" + on,
		"del" + on,
	}
	if d := cmp.Diff(want, calls()); d != "" {
		t.Errorf("helper calls (-want +got):\n%s", d)
	}
	wantLog := []string{
		"user alice session begin",
		"user alice connected from host: 198.51.100.7",
		"user alice connected from host: 192.0.2.9",
		"user alice session end",
	}
	if d := cmp.Diff(wantLog, log.get()); d != "" {
		t.Errorf("syslog lines (-want +got):\n%s", d)
	}
	if err := ptmx.Close(); err == nil {
		t.Error("Ended left the master's duplicate open")
	}
}

// A client that came before the program ran is recorded with the
// program's terminal, in one entry; a session that never ran a program
// runs no helper, and still logs its begin and end.
func TestRecorderBurstAndNoProgram(t *testing.T) {
	h, calls := recordingHelper(t)
	passed := make(chan struct{})
	r := newRecorder(Config{User: "bob", PID: 7, Helper: h}, passed)
	r.Connected(&net.UDPAddr{IP: net.IPv4(203, 0, 113, 1), Port: 1})
	<-passed // nothing to run: no terminal yet
	ptmx, n := openPty(t)
	r.Started(ptmx)
	<-passed
	r.Ended()
	if d := cmp.Diff([]string{"add 203.0.113.1 via mosh [7]|" + n, "del|" + n}, calls()); d != "" {
		t.Errorf("helper calls (-want +got):\n%s", d)
	}

	h2, calls2 := recordingHelper(t)
	log := &lines{}
	r = New(Config{User: "bob", PID: 8, Helper: h2, Log: log})
	r.Connected(&net.UDPAddr{IP: net.IPv4(203, 0, 113, 1), Port: 1})
	r.Ended()
	if got := calls2(); got != nil {
		t.Errorf("helper ran without a terminal: %q", got)
	}
	if d := cmp.Diff([]string{"user bob session begin", "user bob connected from host: 203.0.113.1", "user bob session end"}, log.get()); d != "" {
		t.Errorf("syslog lines (-want +got):\n%s", d)
	}
	r.Ended() // a second time is harmless
}

// The host's own helper, where it has one, is found and is executable.
func TestFindHelper(t *testing.T) {
	h, ok := FindHelper()
	if !ok {
		if helperKind.Add != nil {
			t.Logf("no utmp helper on this host (%s)", strings.Join(helperPaths, ", "))
		}
		return
	}
	st, err := os.Stat(h.Path)
	if err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("FindHelper gave %s: %v", h.Path, err)
	}
	if h.Add == nil || len(h.Del) == 0 {
		t.Errorf("helper %s without its arguments", h.Path)
	}
}

// streamAddr is a datagram path's address without an IP (the SSH path's).
type streamAddr struct{}

func (streamAddr) Network() string { return "ssh" }
func (streamAddr) String() string  { return "unix:" + strconv.Itoa(1) }
