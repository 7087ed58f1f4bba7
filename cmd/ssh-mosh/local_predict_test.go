package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestLocalDelayShowsPredictions: `ssh-mosh --local --delay 100ms` (200 ms
// round trip) shows local echo: typed characters appear underlined — a
// prediction, which the server's echo never is — and the underline goes
// once the server has echoed them.
func TestLocalDelayShowsPredictions(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	env, marker := localEnv(t)
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	s := startClient(t, testenv.TmuxOptions{}, []string{bin, "--local", "--delay", "100ms"}, env...)
	s.run("echo ready-$((6*7))", "ready-42")
	c := s.Control()
	defer c.Close()
	// mosh confirms a prediction epoch on the first echoed character, so
	// type one, wait for its echo, then type the rest. Both waits look at
	// the last line only: "# e" is also on the line of the command above,
	// and a character typed before the prompt is drawn is predicted at the
	// wrong place, which kills its epoch (as in mosh).
	lastLine := func(sc string) string {
		lines := strings.Split(strings.TrimRight(sc, " \n"), "\n")
		return strings.TrimRight(lines[len(lines)-1], " ")
	}
	s.WaitForFunc("the next prompt", func(sc string) bool {
		l := lastLine(sc)
		return strings.HasSuffix(l, "#") || strings.HasSuffix(l, "$")
	}, waitLong)
	s.SendText("e")
	s.WaitForFunc("the first character echoed", func(sc string) bool {
		l := lastLine(sc)
		return strings.HasSuffix(l, "# e") || strings.HasSuffix(l, "$ e")
	}, waitLong)
	// Predictions are shown underlined until the server's echo confirms
	// them (the link is slow: mosh "flags" them), so an underline on the
	// screen is a prediction. Poll while typing and until the echo arrives.
	sawUnderline := false
	var captureErrs int
	poll := func(d time.Duration) {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) && !sawUnderline {
			lines, err := c.Command("capture-pane -p -e")
			if err != nil {
				captureErrs++
			} else if strings.Contains(strings.Join(lines, "\n"), "\x1b[4m") {
				sawUnderline = true
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	for _, ch := range "cho predicted" {
		s.SendText(string(ch))
		poll(60 * time.Millisecond)
	}
	poll(2 * time.Second)
	if !sawUnderline {
		t.Errorf("no underlined (predicted) text seen while typing at 200 ms RTT (%d capture errors); screen:\n%s", captureErrs, s.CaptureStyled())
	}
	s.WaitForFunc("the line echoed without underline", func(string) bool {
		return strings.Contains(s.Capture(), "echo predicted") && !strings.Contains(s.CaptureStyled(), "\x1b[4m")
	}, waitLong)
	s.SendKeys("Enter")
	s.WaitFor("\npredicted", waitLong)
	s.quit()
	expectNoLeftovers(t, marker)
}
