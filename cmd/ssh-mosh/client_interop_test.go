package main

import (
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestClientSession drives our client, under both of its names, against the
// real mosh-server and ours: typing and output, a full-screen program drawn
// exactly as on a plain terminal, a resize the remote shell sees, the
// "[mosh] " title, and Ctrl-^ . ending the client with status 0 and the
// outer terminal's settings restored.
func TestClientSession(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	for _, srv := range serverKinds {
		for _, cl := range ourClients {
			t.Run(srv.name+"-server/"+cl.name, func(t *testing.T) {
				t.Parallel()
				testClientSession(t, srv, cl)
			})
		}
	}
}

func testClientSession(t *testing.T, k serverKind, cl ourClient) {
	const w, h = 80, 24
	srv := startServer(t, k)
	s := startClient(t, testenv.TmuxOptions{Width: w, Height: h}, srv.Key, cl.argv(t, srv.Port))

	// Typing and output.
	s.run("echo hi-$((6*7))", "hi-42")

	// The title the remote sets carries the prefix.
	s.run(`printf '\033]0;t-%s\007' ok; echo titled`, "titled\n")
	s.WaitForFunc("title [mosh] t-ok", func(string) bool { return s.Title() == "[mosh] t-ok" }, waitLong)

	// A full-screen program: less must look exactly as on a plain terminal
	// of the same size.
	file := numberedFile(t, 100)
	lessReady := func(screen string) bool { return strings.Contains(screen, "line-023") }
	want := directScreen(t, w, h, lessReady, "less", file)
	s.SendText("less " + file)
	s.SendKeys("Enter")
	got := s.WaitForFunc("less showing line-023", lessReady, waitLong)
	if trimRows(got) != trimRows(want) {
		t.Errorf("less through the session:\n%s\nless on a plain terminal:\n%s", testenv.FrameScreen(got), testenv.FrameScreen(want))
	}
	s.SendText("q")
	// mosh's terminal has no alternate screen: less's last page stays,
	// and the prompt replaces its status line.
	s.WaitForFunc("less gone, prompt on its status line", func(screen string) bool {
		return !strings.Contains(screen, "lines.txt") && strings.HasSuffix(trimRows(screen), "\n$\n")
	}, waitLong)

	// A resize reaches the remote side. Keys typed right after the resize
	// may overtake the SIGWINCH (with real mosh too), so the remote shell
	// polls its size, a bounded number of times.
	s.Resize(100, 30)
	s.run(`i=0; while [ "$(stty size)" != "$((15*2)) $((50*2))" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; echo "size=$(stty size)"`, "size=30 100")

	s.quit()
	s.sttyUnchanged()
	if !testenv.WaitGone(srv.PID, waitLong) {
		t.Errorf("%s mosh-server %d still running after Ctrl-^ .", k.name, srv.PID)
	}
}
