package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// Scrollback (docs/PROTOCOL-EXTENSIONS.md): through our client and our
// server, the lines that scroll off the session's screen land in the
// terminal's own scrollback, in order, once each, with their colours.

// scrollbackPane runs `ssh-mosh --local` with cmd in a tmux pane that keeps
// a long history.
func scrollbackPane(t *testing.T, cmd string, flags ...string) *testenv.Tmux {
	t.Helper()
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	argv := append(append([]string{bin, "--local"}, flags...), cmd)
	return testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, HistoryLimit: 50000}, argv...)
}

// waitHistory polls the pane's history and screen until ok holds.
func waitHistory(t *testing.T, m *testenv.Tmux, desc string, ok func(all string) bool) string {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		all := m.CaptureHistory(false)
		if ok(all) {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; the pane's last rows:\n%s", desc, tail(all, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// seqLines returns the numbers of the lines "P%05d" in all, in order.
func seqLines(all, prefix string) []int {
	var out []int
	for _, l := range strings.Split(all, "\n") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(l), prefix+"%05d", &n); err == nil && strings.TrimSpace(l) == fmt.Sprintf(prefix+"%05d", n) {
			out = append(out, n)
		}
	}
	return out
}

// TestScrollbackSeq: seq's 3000 lines are all in the pane (history and
// screen) in order, exactly once, while the session still runs — history
// arrives without waiting for a later frame; a coloured line keeps its
// colour (a palette colour stays one).
func TestScrollbackSeq(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	m := scrollbackPane(t, `printf '\033[31mRED-LINE\033[0m\n'; seq -f 'L%05g' 1 3000; echo SEQ-DONE; sleep 60`)
	all := waitHistory(t, m, "all 3000 lines", func(all string) bool {
		return strings.Contains(all, "SEQ-DONE") && len(seqLines(all, "L")) >= 3000
	})
	got := seqLines(all, "L")
	if len(got) != 3000 {
		t.Fatalf("%d L-lines in the pane, want 3000", len(got))
	}
	for i, n := range got {
		if n != i+1 {
			t.Fatalf("line %d of the pane's L-lines is L%05d, want L%05d (order or duplicate)", i, n, i+1)
		}
	}
	if strings.Count(all, "RED-LINE") != 1 {
		t.Errorf("RED-LINE appears %d times", strings.Count(all, "RED-LINE"))
	}
	if styled := m.CaptureHistory(true); !strings.Contains(styled, "\x1b[31mRED-LINE") {
		i := strings.Index(styled, "RED-LINE")
		t.Errorf("RED-LINE lost its colour: %q", styled[max(0, i-20):i+8])
	}
}

// TestScrollbackAltScreenAddsNothing: what a full-screen program scrolls on
// the alternate screen (tput smcup, as vim and less do) is not history.
func TestScrollbackAltScreenAddsNothing(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	m := scrollbackPane(t, `seq -f 'B%05g' 1 100; printf '\033[?1049h'; seq -f 'A%05g' 1 500; printf '\033[?1049l\033[H\033[2J'; echo ALT-DONE; sleep 60`)
	// 100 lines on 24 rows: B00001..B00077 scrolled off the primary
	// screen before the alternate one was entered. (The rows still on the
	// screen then are overwritten by the program, as with mosh, which keeps
	// one framebuffer.)
	all := waitHistory(t, m, "the program's end", func(all string) bool {
		return strings.Contains(all, "ALT-DONE") && len(seqLines(all, "B")) >= 77
	})
	// mosh keeps one screen, so the alternate screen's last rows stay
	// on it until cleared (here at once, as a shell's prompt redraw
	// would); nothing of it went into the history.
	if n := len(seqLines(all, "A")); n != 0 {
		t.Errorf("%d A-lines in the pane: the alternate screen added history", n)
	}
	if got := seqLines(all, "B"); len(got) != 77 || got[0] != 1 || got[76] != 77 {
		t.Errorf("B-lines %v", got)
	}
}

// TestScrollbackOff: --scrollback=0 offers nothing; the session stays on
// the alternate screen, and the pane's history gets nothing from it.
func TestScrollbackOff(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	m := scrollbackPane(t, `seq -f 'L%05g' 1 300; echo OFF-DONE; sleep 60`, "--scrollback=0")
	m.WaitFor("OFF-DONE", waitLong)
	if inPane, onScreen := len(seqLines(m.CaptureHistory(false), "L")), len(seqLines(m.Capture(), "L")); inPane != onScreen {
		t.Errorf("%d L-lines in the pane, %d on the screen, with --scrollback=0", inPane, onScreen)
	}
}

// TestScrollbackBlackout: lines printed while the network is cut for 5 s
// arrive after it, in order, once each, in the terminal's scrollback.
func TestScrollbackBlackout(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	server := startServer(t, serverKinds[1])
	proxy, err := netem.NewUDPProxy("127.0.0.1:0", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: server.Port}, netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	// ssh-mosh --connect (the mosh-client drop-in does not offer).
	s := startClient(t, testenv.TmuxOptions{HistoryLimit: 50000}, ourClients[1].argv(t, proxy.Addr().Port), "MOSH_KEY="+server.Key)
	s.run("echo ready-$((1+1))", "ready-2")
	s.SendText("sleep 1; seq -f 'D%05g' 1 2000; echo BLACK-DONE")
	s.SendKeys("Enter")
	s.WaitFor("BLACK-DONE", waitLong) // the echo of the command line
	proxy.Blackout(true)
	time.Sleep(5 * time.Second) // the outage has a fixed length: nothing to poll for
	proxy.Blackout(false)
	all := waitHistory(t, s.Tmux, "the 2000 lines printed during the outage", func(all string) bool {
		return len(seqLines(all, "D")) >= 2000 && strings.Contains(all, "\nBLACK-DONE")
	})
	got := seqLines(all, "D")
	if len(got) != 2000 {
		t.Fatalf("%d D-lines in the pane, want 2000", len(got))
	}
	for i, n := range got {
		if n != i+1 {
			t.Fatalf("D-line %d is D%05d, want D%05d", i, n, i+1)
		}
	}
}
