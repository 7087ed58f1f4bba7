package main

import (
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// tmuxCmd runs one tmux command against the pane's private server.
func tmuxCmd(t *testing.T, s *clientPane, args ...string) string {
	t.Helper()
	bin := testenv.MustHaveExec(t, "tmux")
	out, err := exec.Command(bin, append([]string{"-S", s.Socket(), "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestOSC52QueryNeverReachesTerminal: a program in the session asks for
// the clipboard (OSC 52 query) and then writes it. The user's terminal is
// tmux with set-clipboard on, which answers queries with its newest paste
// buffer: the answer would come back as typed input and show on the
// screen. The query must never reach it; the write must.
func TestOSC52QueryNeverReachesTerminal(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	env, marker := localEnv(t)
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	s := startClient(t, testenv.TmuxOptions{},
		[]string{"env", "SHELL=/bin/sh", "ENV=", bin, "--local"}, env...)
	s.WaitForFunc("a shell prompt", func(screen string) bool {
		return strings.Contains(screen, "$ ") || strings.Contains(screen, "# ")
	}, waitLong)
	const secret = "local-clipboard-secret"
	tmuxCmd(t, s, "set-option", "-s", "set-clipboard", "on")
	tmuxCmd(t, s, "set-buffer", "-b", "mine", secret)
	leak := base64.StdEncoding.EncodeToString([]byte(secret))[:16]

	// The typed line never contains "52;c;": the sequences are built by
	// printf. The query goes out in a frame of its own (the sleep), then
	// the write of "written".
	s.run(`printf '\033]%s;c;?\007' 52; sleep 1; printf '\033]%s;c;%s\007' 52 d3JpdHRlbg==; sleep 1; echo osc-$((50+2))-done`,
		"osc-52-done")
	// An answer typed back would be echoed by the session's pty.
	time.Sleep(500 * time.Millisecond)
	screen := s.Capture()
	if strings.Contains(screen, leak) || strings.Contains(screen, "]52;") {
		t.Fatalf("the terminal answered an OSC 52 query; the screen shows its answer:\n%s", testenv.FrameScreen(screen))
	}
	if got := tmuxCmd(t, s, "show-buffer"); got != "written" {
		t.Fatalf("newest tmux buffer %q, want the OSC 52 write %q", got, "written")
	}
	s.quit()
	expectNoLeftovers(t, marker)
}
