package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

var connectLineRE = regexp.MustCompile(`(?m)^MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})$`)

// TestAttachWithRealMoshClient: `mosh-server attach` answers an ordinary
// MOSH CONNECT line that the real mosh-client uses: it gets the old
// screen and the same shell, the taken-over real client exits, and a
// client on the old key is not applied.
func TestAttachWithRealMoshClient(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "att")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	ctlEnv := []string{"TMPDIR=" + dir, "XDG_RUNTIME_DIR="}
	s := startSession(t, sessionOptions{serverEnv: ctlEnv, width: 80, height: 24})
	pid := s.shellPID()
	s.run("echo before-$((6*7))", "before-42")

	cmd := exec.Command(ourServer(t), "attach", strconv.Itoa(s.srv.PID))
	cmd.Env = append(os.Environ(), ctlEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("attach: %v: %s", err, out)
	}
	m := connectLineRE.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("attach printed %q", out)
	}
	port, _ := strconv.Atoi(m[1])
	if port != s.srv.Port || m[2] == s.srv.Key {
		t.Fatalf("attach answered port %d key changed %v; want port %d and a new key", port, m[2] != s.srv.Key, s.srv.Port)
	}
	// The taken-over client exits.
	s.tm.WaitExit(waitShort)

	argv, env := testenv.MoshClientArgv(t, m[2], port)
	nc := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: env}, argv...)
	nc.WaitFor("before-42", waitShort)
	s2 := &live{t: t, srv: s.srv, tm: nc}
	if again := s2.shellPID(); again != pid {
		t.Fatalf("shell pid %d after the attach, %d before", again, pid)
	}

	// A client on the old key: what it types is not applied.
	argv, env = testenv.MoshClientArgv(t, s.srv.Key, s.srv.Port)
	oc := testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: env}, argv...)
	oc.SendText("echo oldkey-$((6*7))")
	oc.SendKeys("Enter")
	s2.run("echo sync-$((6*7))", "sync-42")
	if strings.Contains(nc.Capture(), "oldkey-42") {
		t.Fatalf("keys on the old key reached the shell:\n%s", testenv.FrameScreen(nc.Capture()))
	}
	s2.exit()
}
