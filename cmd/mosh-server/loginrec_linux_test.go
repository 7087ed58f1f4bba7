package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestLoginRecordsInUtmp runs our server with the host's real utmp helper
// (libutempter's, setgid utmp) and reads the records with who(1) and
// utmpdump(1), as an administrator would: while the real mosh-client is
// attached the session's terminal is "127.0.0.1 via mosh [PID]", and when
// the session ends the entry is gone and wtmp has its login and logout.
//
// The server runs in a mount namespace of the test's own, where /run is a
// fresh tmpfs whose utmp is a link to a file of the test, and wtmp a file
// of the test mounted over /var/log/wtmp: the host's records are never
// touched (this container has no /run/utmp at all).
func TestLoginRecordsInUtmp(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	for _, tool := range []string{"unshare", "mount", "who", "utmpdump"} {
		testenv.MustHaveExec(t, tool)
	}
	testenv.MustHaveUtmpHelper(t)
	dir := t.TempDir()
	utmp, wtmp := filepath.Join(dir, "utmp"), filepath.Join(dir, "wtmp")
	for _, f := range []string{utmp, wtmp} {
		if err := os.WriteFile(f, nil, 0o664); err != nil {
			t.Fatal(err)
		}
	}
	wrapper := filepath.Join(dir, "mosh-server")
	script := `#!/bin/sh
exec unshare --mount --propagation private -- sh -ec '
mount -t tmpfs -o mode=755 tmpfs /run
ln -s ` + utmp + ` /run/utmp
mount --bind ` + wtmp + ` /var/log/wtmp
exec "$0" "$@"' ` + ourServer(t) + ` "$@"
`
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.MustHaveExec(t, "mosh-client")
	testenv.MustHaveExec(t, "tmux")
	srv := testenv.StartMoshServerEnv(t, wrapper, []string{"PS1=" + prompt, "ENV="}, "--", "/bin/sh")
	s := &live{t: t, srv: srv, tm: attachClient(t, srv, 80, 24)}
	s.tm.WaitFor(prompt, waitShort)
	tty := s.run("tty | sed 's/^/tty-is-/'", "tty-is-/dev/pts/")
	m := regexp.MustCompile(`tty-is-/dev/(pts/\d+)`).FindStringSubmatch(tty)
	if m == nil {
		t.Fatalf("no tty on the screen:\n%s", testenv.FrameScreen(tty))
	}
	line := m[1]

	host := "127.0.0.1 via mosh [" + strconv.Itoa(srv.PID) + "]"
	who := waitOutput(t, "who's line for the session", func(out string) bool { return strings.Contains(out, host) }, "who", utmp)
	if !regexp.MustCompile(`(?m)^root\s+` + regexp.QuoteMeta(line) + `\s.*\(` + regexp.QuoteMeta(host) + `\)$`).MatchString(who) {
		t.Errorf("who %s:\n%s\nwant root on %s from (%s)", utmp, who, line, host)
	}

	s.exit()
	waitOutput(t, "the entry's removal", func(out string) bool { return !strings.Contains(out, "mosh [") }, "who", utmp)
	// wtmp has the login and the logout (type 7, USER_PROCESS, then 8,
	// DEAD_PROCESS) of that line, as utmpdump(1) prints them.
	dump := runTool(t, "utmpdump", wtmp)
	login := regexp.MustCompile(`(?m)^\[7\] \[0*` + strconv.Itoa(srv.PID) + `\] \[[^]]*\] \[root\s*\] \[` + regexp.QuoteMeta(line) + `\s*\] \[127\.0\.0\.1 via mosh`)
	logout := regexp.MustCompile(`(?m)^\[8\] \[0*` + strconv.Itoa(srv.PID) + `\] \[[^]]*\] \[[^]]*\] \[` + regexp.QuoteMeta(line) + `\s*\]`)
	if li, lo := login.FindStringIndex(dump), logout.FindStringIndex(dump); li == nil || lo == nil || lo[0] < li[0] {
		t.Errorf("utmpdump %s:\n%s\nwant the login of root on %s from 127.0.0.1 via mosh, then its logout", wtmp, dump, line)
	}
}

func runTool(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// waitOutput runs argv until ok accepts its output (the records are
// written by the server's own goroutine, a moment after the event).
func waitOutput(t *testing.T, what string, ok func(string) bool, argv ...string) string {
	t.Helper()
	deadline := time.Now().Add(waitShort)
	for {
		out := runTool(t, argv...)
		if ok(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v; %s gives:\n%s", what, waitShort, strings.Join(argv, " "), out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
