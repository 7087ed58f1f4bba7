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

// oneToN checks that got is 1..n: each line once, in order.
func oneToN(got []int, prefix string, n int) error {
	if len(got) != n {
		return fmt.Errorf("%d %s-lines in the pane, want %d", len(got), prefix, n)
	}
	for i, v := range got {
		if v != i+1 {
			return fmt.Errorf("%s-line %d is %s%05d, want %s%05d (order or duplicate)", prefix, i, prefix, v, prefix, i+1)
		}
	}
	return nil
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
	if err := oneToN(seqLines(all, "L"), "L", 3000); err != nil {
		t.Fatal(err)
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
	// screen before the alternate one was entered; the rest are on the
	// primary screen again when the program leaves it, then cleared.
	all := waitHistory(t, m, "the program's end", func(all string) bool {
		return strings.Contains(all, "ALT-DONE") && len(seqLines(all, "B")) >= 77
	})
	// Nothing of the alternate screen went into the history.
	if n := len(seqLines(all, "A")); n != 0 {
		t.Errorf("%d A-lines in the pane: the alternate screen added history", n)
	}
	if got := seqLines(all, "B"); len(got) != 77 || got[0] != 1 || got[76] != 77 {
		t.Errorf("B-lines %v", got)
	}
}

// TestScrollbackVimLessAddNothing: the real less and vim, paged through and
// quit, add nothing to the terminal's scrollback, and the shell's screen
// is back when they quit (with scrollback the server keeps the alternate
// screen as xterm does; mosh would leave their last page on the screen,
// to scroll into the history with the next output).
func TestScrollbackVimLessAddNothing(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	testenv.MustHaveExec(t, "less")
	testenv.MustHaveExec(t, "vim")
	m := scrollbackPane(t, `d=$(mktemp -d); seq -f 'V%05g' 1 300 > "$d/f"; seq -f 'S%05g' 1 30; echo BEFORE-PAGER; `+
		`LESS= LESSHISTFILE=- less "$d/f"; echo AFTER-LESS; read _; vim -u NONE -i NONE -N -n "$d/f"; echo AFTER-VIM; `+
		`seq -f 'P%05g' 1 40; echo VL-DONE; rm -r "$d"; sleep 60`)
	m.WaitFor("V00001", waitLong)
	m.SendKeys("f")
	m.WaitFor("V00030", waitLong)
	m.SendKeys("f")
	m.WaitFor("V00050", waitLong)
	m.SendKeys("q")
	m.WaitFor("AFTER-LESS", waitLong)
	if screen := m.Capture(); strings.Contains(screen, "V000") {
		t.Errorf("less's page is still on the screen after it quit:\n%s", screen)
	}
	m.SendKeys("Enter") // the shell's read: vim starts
	m.WaitForFunc("vim", func(screen string) bool {
		return strings.Contains(screen, "V00001") && strings.Contains(screen, "300L")
	}, waitLong)
	m.SendKeys("C-f")
	m.WaitFor("V00030", waitLong)
	m.SendKeys("C-f")
	m.WaitFor("V00050", waitLong)
	m.SendText(":q")
	m.SendKeys("Enter")
	all := waitHistory(t, m, "the shell's last line", func(all string) bool { return strings.Contains(all, "VL-DONE") })
	if v := seqLines(all, "V"); len(v) != 0 {
		t.Errorf("%d lines of less's and vim's pages in the pane (history and screen), e.g. V%05d", len(v), v[0])
	}
	if err := oneToN(seqLines(all, "S"), "S", 30); err != nil {
		t.Error(err)
	}
	if err := oneToN(seqLines(all, "P"), "P", 40); err != nil {
		t.Error(err)
	}
	for _, w := range []string{"BEFORE-PAGER", "AFTER-LESS", "AFTER-VIM"} {
		if c := strings.Count(all, w); c != 1 {
			t.Errorf("%s appears %d times in the pane", w, c)
		}
	}
}

// TestScrollbackBacklogAtExit: a program that prints 60,000 full-width
// lines and exits leaves the server with most of its ring unsent. The
// session goes on sending it at the usual pace for a while, then ends
// with what is left as a gap: the client exits promptly with status 0, and
// the pane holds the lines in order, once each, ending with the last.
// (Sent as one last instruction, the backlog's fragments overflowed the
// client's receive buffer and the session's end never arrived.)
func TestScrollbackBacklogAtExit(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	// Server and client in their own processes, as over a network (in
	// one --local process the server cannot outrun the client's reads).
	srv := startServer(t, serverKinds[1])
	m := startClient(t, testenv.TmuxOptions{Width: 80, Height: 24, HistoryLimit: 100000},
		ourClients[1].argv(t, srv.Port), "MOSH_KEY="+srv.Key)
	m.WaitFor("$", waitLong)
	start := time.Now()
	m.SendText(`seq -f 'W%05g-` + strings.Repeat("x", 73) + `' 1 60000; exit`)
	m.SendKeys("Enter")
	if code := m.WaitExit(waitLong); code != 0 {
		t.Fatalf("exit status %d; the pane's last rows:\n%s", code, tail(m.CaptureHistory(false), 10))
	}
	t.Logf("the session ended %v after it started", time.Since(start).Round(time.Millisecond))
	suffix := "-" + strings.Repeat("x", 73)
	var got []int
	for _, l := range strings.Split(m.CaptureHistory(false), "\n") {
		var n int
		if _, err := fmt.Sscanf(l, "W%05d", &n); err == nil && l == fmt.Sprintf("W%05d", n)+suffix {
			got = append(got, n)
		}
	}
	if len(got) == 0 || got[len(got)-1] != 60000 {
		t.Fatalf("%d W-lines, the last %v; want W60000 last", len(got), got[max(0, len(got)-3):])
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("W%05d after W%05d: out of order or twice", got[i], got[i-1])
		}
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
	if err := oneToN(seqLines(all, "D"), "D", 2000); err != nil {
		t.Fatal(err)
	}
}
