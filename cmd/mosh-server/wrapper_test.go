package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestRealMoshWrapper: the real `mosh` script starts our server through
// OpenSSH (`mosh --server=<ours> --ssh="ssh -F cfg" alias`), parses its MOSH
// CONNECT line, and the real mosh-client it execs runs a session through
// it; `exit` ends the client with status 0 and leaves no process behind.
func TestRealMoshWrapper(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	testenv.MustHaveExec(t, "sshd")
	bin := ourServer(t)
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(t, "moshhost", priv)
	// The remote command sets the prompt: ssh forwards no PS1.
	argv := append(testenv.MoshArgv(t, cfg), "--server="+bin, "--predict=never", "moshhost",
		"--", "env", "PS1="+prompt, "ENV=", "/bin/sh")
	tm := testenv.StartTmux(t, testenv.TmuxOptions{}, argv...)
	tm.WaitFor(prompt, 30*time.Second)
	tm.SendText("echo via-wrapper-$((40+2))")
	tm.SendKeys("Enter")
	tm.WaitFor("via-wrapper-42", waitShort)

	servers := sshd.SessionPIDs()
	ours := 0
	for _, pid := range servers {
		if exe, err := readLink("/proc/" + itoa(pid) + "/exe"); err == nil && exe == bin {
			ours++
		}
	}
	if ours == 0 {
		t.Fatalf("no process of the session runs %s (session pids %v); did mosh start another server?", bin, servers)
	}
	tm.SendText("exit")
	tm.SendKeys("Enter")
	if st := tm.WaitExit(waitShort); st != 0 {
		t.Fatalf("mosh exit status %d; screen:\n%s", st, testenv.FrameScreen(tm.Capture()))
	}
	for _, pid := range servers {
		if !testenv.WaitGone(pid, waitShort) {
			t.Errorf("session pid %d still running after exit", pid)
		}
	}
}

// TestLocaleFallback: a server whose own locale is not UTF-8 (LANG=C, no
// LC_ALL) asked for a locale the host lacks (-l LANG=xx_XX.UTF-8) still
// runs the session, in C.UTF-8, and says so in one line on stderr. (The
// real mosh-server refuses to start here.)
func TestLocaleFallback(t *testing.T) {
	s := startSession(t, sessionOptions{
		serverEnv:  []string{"LANG=C", "LC_ALL=", "LC_CTYPE="},
		serverArgs: []string{"-l", "LANG=xx_XX.UTF-8"},
	})
	var notice []string
	for _, line := range strings.Split(s.srv.Stderr, "\n") {
		if strings.Contains(line, "xx_XX.UTF-8") {
			notice = append(notice, line)
		}
	}
	if len(notice) != 1 || !strings.Contains(notice[0], "C.UTF-8") {
		t.Errorf("want one line naming xx_XX.UTF-8 and C.UTF-8 on stderr, got:\n%s", s.srv.Stderr)
	}
	screen := s.run("locale; echo locale-done-$((1+1))", "locale-done-2")
	for _, want := range []string{"LANG=C.UTF-8", `LC_CTYPE="C.UTF-8"`} {
		if !strings.Contains(screen, want) {
			t.Errorf("locale in the session lacks %s:\n%s", want, testenv.FrameScreen(screen))
		}
	}
	if strings.Contains(screen, "xx_XX") || strings.Contains(screen, "Cannot set") {
		t.Errorf("the session still uses the missing locale:\n%s", testenv.FrameScreen(screen))
	}
	// UTF-8 really works in it: a multi-byte character survives the shell.
	s.run("printf 'loc-%s-ok\\n' $(printf '\\303\\251')", "loc-é-ok")
	s.exit()
}
