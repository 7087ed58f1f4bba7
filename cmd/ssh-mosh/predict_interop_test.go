package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// Local echo at 200 ms RTT: our client in tmux, a real mosh-server or ours
// behind a netem proxy that delays each direction by 100 ms.

// predictDelay is the one-way delay: 200 ms round trip.
const predictDelay = 100 * time.Millisecond

// settleTime lets every echo and echo ack in flight arrive: several round
// trips plus the server's 50 ms echo-ack delay. The interop tests wait it
// out where the state to reach cannot be seen on the screen (a confirmed
// prediction epoch).
const settleTime = 5 * 2 * predictDelay

// predictSession is our client attached through the proxy to a server
// running bash without any configuration.
type predictSession struct {
	*clientPane
	ctl   *testenv.TmuxControl
	proxy *netem.Proxy
}

// predictPair is a client and a server to run a local-echo test with.
type predictPair struct {
	server serverKind
	// realClient runs the real mosh-client instead of ours: the reference
	// that shows each test asks for mosh's own behaviour.
	realClient bool
}

func (p predictPair) name() string {
	if p.realClient {
		return "mosh-client+" + p.server.name + "-server"
	}
	return p.server.name + "-server"
}

func startPredictSession(t *testing.T, pair predictPair, env ...string) *predictSession {
	t.Helper()
	server := testenv.StartMoshServerEnv(t, pair.server.bin(t),
		[]string{"PS1=$ ", "ENV=", "HISTFILE=/dev/null", "INPUTRC=/dev/null"},
		"--", "/bin/bash", "--norc", "--noprofile")
	proxy, err := netem.NewUDPProxy("127.0.0.1:0", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: server.Port},
		netem.Config{Delay: predictDelay, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	argv := ourClients[0].argv(t, proxy.Addr().Port)
	env = append([]string{"MOSH_KEY=" + server.Key}, env...)
	if pair.realClient {
		var menv []string
		argv, menv = testenv.MoshClientArgv(t, server.Key, proxy.Addr().Port)
		env = append(menv, env[1:]...)
	}
	s := startClient(t, testenv.TmuxOptions{}, argv, env...)
	ps := &predictSession{clientPane: s, proxy: proxy, ctl: s.Control()}
	// clear: the real server's shell starts below a blank row.
	s.WaitFor("$", waitLong)
	ps.SendText("clear")
	ps.SendKeys("Enter")
	ps.WaitForFunc("a cleared screen with the prompt", func(screen string) bool {
		return screenRow(screen, 0) == "$" && screenRow(screen, 1) == ""
	}, waitLong)
	// Let the predictions of "clear" be judged before the test types: were
	// they judged against a screen that already shows the next keys, they
	// would kill those keys' epoch too (as in mosh).
	time.Sleep(settleTime)
	return ps
}

// row returns row r of the screen, trailing blanks trimmed.
func screenRow(screen string, r int) string {
	rows := strings.Split(screen, "\n")
	if r >= len(rows) {
		return ""
	}
	return strings.TrimRight(rows[r], " ")
}

// typeSlowly types s one character at a time, gap apart, as a person does.
func (s *predictSession) typeSlowly(text string, gap time.Duration) {
	s.t.Helper()
	if err := s.typeKeys(text, gap); err != nil {
		s.t.Fatal(err)
	}
}

// typeKeys is typeSlowly for another goroutine: it reports failure.
func (s *predictSession) typeKeys(text string, gap time.Duration) error {
	for _, r := range text {
		if _, err := s.ctl.Command("send-keys -l " + testenv.ShellQuote(string(r))); err != nil {
			return err
		}
		time.Sleep(gap)
	}
	return nil
}

// waitText waits until the screen, each row without its trailing blanks,
// contains want. Real mosh sometimes ends a row with written blanks where
// the shell erased (the trailing-blank corpus case), and a copy of the
// screen then has spaces there that tell nothing about prediction.
func (s *predictSession) waitText(want string, timeout time.Duration) {
	s.t.Helper()
	s.WaitForFunc(fmt.Sprintf("%q on screen (rows trimmed)", want), func(screen string) bool {
		rows := strings.Split(screen, "\n")
		for i, r := range rows {
			rows[i] = strings.TrimRight(r, " ")
		}
		return strings.Contains(strings.Join(rows, "\n"), want)
	}, timeout)
}

// waitRow polls (in control mode, so finely) until row r reads want.
func (s *predictSession) waitRow(r int, want string, timeout time.Duration) (string, bool) {
	deadline := time.Now().Add(timeout)
	for {
		screen, err := s.ctl.Capture()
		if err != nil {
			s.t.Fatal(err)
		}
		if screenRow(screen, r) == want {
			return screen, true
		}
		if time.Now().After(deadline) {
			return screen, false
		}
		time.Sleep(time.Millisecond)
	}
}

// forPairs runs f with our client against the real and our server, and
// with the real mosh-client against the real server as the reference.
func forPairs(t *testing.T, f func(t *testing.T, pair predictPair)) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	testenv.MustHaveExec(t, "bash")
	pairs := []predictPair{{server: serverKinds[0]}, {server: serverKinds[1]}, {server: serverKinds[0], realClient: true}}
	for _, pair := range pairs {
		t.Run(pair.name(), func(t *testing.T) {
			t.Parallel()
			if pair.realClient {
				testenv.MustHaveExec(t, "mosh-client")
			}
			f(t, pair)
		})
	}
}

// TestPredictEchoBeforeServer: once an epoch is confirmed, typed characters
// appear while the network is cut, so they cannot be the server's echo; they
// are underlined (the link is slow) until the echo confirms them.
func TestPredictEchoBeforeServer(t *testing.T) {
	forPairs(t, func(t *testing.T, pair predictPair) {
		s := startPredictSession(t, pair)
		s.typeSlowly("echo ", 30*time.Millisecond)
		if screen, ok := s.waitRow(0, "$ echo", waitLong); !ok {
			t.Fatalf("typed text never appeared:\n%s", testenv.FrameScreen(screen))
		}
		time.Sleep(settleTime) // the echo confirms the epoch

		s.proxy.Blackout(true)
		s.typeSlowly("pre", 30*time.Millisecond)
		screen, ok := s.waitRow(0, "$ echo pre", 2*time.Second)
		if !ok {
			s.proxy.Blackout(false)
			t.Fatalf("no local echo while the network is cut:\n%s", testenv.FrameScreen(screen))
		}
		styled := strings.SplitN(s.CaptureStyled(), "\n", 2)[0]
		s.proxy.Blackout(false)
		if !strings.Contains(styled, "\x1b[4m") {
			t.Errorf("unconfirmed predictions are not underlined: %q", styled)
		}

		s.SendKeys("Enter")
		s.waitText("$ echo pre\npre\n$", waitLong)
		time.Sleep(settleTime)
		if styled := s.CaptureStyled(); strings.Contains(styled, "\x1b[4m") {
			t.Errorf("underline left after the echo:\n%q", styled)
		}
		s.quit()
	})
}

// TestPredictPasswordHidden: characters typed at a prompt that does not echo
// (read -s) never appear, in adaptive and in always mode.
func TestPredictPasswordHidden(t *testing.T) {
	for _, mode := range []string{"adaptive", "always"} {
		t.Run(mode, func(t *testing.T) {
			forPairs(t, func(t *testing.T, pair predictPair) {
				s := startPredictSession(t, pair, "MOSH_PREDICTION_DISPLAY="+mode)
				s.typeSlowly(`read -s -p "pw: " x; echo "got ${#x}"`, 20*time.Millisecond)
				s.SendKeys("Enter")
				if screen, ok := s.waitRow(1, "pw:", waitLong); !ok {
					t.Fatalf("no password prompt:\n%s", testenv.FrameScreen(screen))
				}
				// Type the secret and watch every frame for a while.
				done := make(chan error, 1)
				go func() { done <- s.typeKeys("hunter2", 40*time.Millisecond) }()
				deadline := time.Now().Add(7*40*time.Millisecond + settleTime)
				frames := 0
				for time.Now().Before(deadline) {
					screen, err := s.ctl.Capture()
					if err != nil {
						t.Fatal(err)
					}
					frames++
					if row := screenRow(screen, 1); row != "pw:" {
						<-done
						t.Fatalf("the password prompt showed %q:\n%s", row, testenv.FrameScreen(screen))
					}
					time.Sleep(time.Millisecond)
				}
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				s.SendKeys("Enter")
				waitTrimmed(s.Tmux, "got 7\n$")
				t.Logf("%d frames checked", frames)
				s.quit()
			})
		})
	}
}

// TestPredictLineEditing: backspace and arrow editing at a bash prompt end
// with the screen the shell drew.
func TestPredictLineEditing(t *testing.T) {
	forPairs(t, func(t *testing.T, pair predictPair) {
		s := startPredictSession(t, pair)
		s.typeSlowly("echo abcdef", 30*time.Millisecond)
		for _, key := range []string{"Left", "Left", "BSpace"} {
			s.SendKeys(key)
			time.Sleep(30 * time.Millisecond)
		}
		s.typeSlowly("X", 0)
		s.SendKeys("Right")
		s.SendKeys("BSpace")
		s.typeSlowly("YZ", 30*time.Millisecond)
		// Left Left BSpace drops d, X goes before e, Right BSpace drops e.
		want := "$ echo abcXYZf"
		screen, ok := s.waitRow(0, want, waitLong)
		if !ok {
			t.Fatalf("line after editing, want %q:\n%s", want, testenv.FrameScreen(screen))
		}
		time.Sleep(settleTime)
		screen, _ = s.ctl.Capture()
		if got := screenRow(screen, 0); got != want {
			t.Errorf("after settling the line reads %q, want %q", got, want)
		}
		if x, y := s.Cursor(); x != len(want)-1 || y != 0 {
			t.Errorf("cursor at (%d,%d), want (%d,0)", x, y, len(want)-1)
		}
		s.SendKeys("Enter")
		s.waitText(want+"\nabcXYZf\n$", waitLong)
		s.quit()
	})
}

// TestPredictVimInsert: typing in vim's insert mode shows the text, and the
// file gets exactly what was typed.
func TestPredictVimInsert(t *testing.T) {
	testenv.MustHaveExec(t, "vim")
	forPairs(t, func(t *testing.T, pair predictPair) {
		s := startPredictSession(t, pair)
		file := filepath.Join(t.TempDir(), "note.txt")
		s.typeSlowly("vim -u NONE -N -n "+file, 10*time.Millisecond)
		s.SendKeys("Enter")
		s.WaitFor("~", waitLong)
		s.typeSlowly("i", 0)
		s.WaitFor("-- INSERT --", waitLong)
		s.typeSlowly("hello world", 40*time.Millisecond)
		s.SendKeys("BSpace")
		s.typeSlowly("D", 0)
		if screen, ok := s.waitRow(0, "hello worlD", waitLong); !ok {
			t.Fatalf("vim shows:\n%s", testenv.FrameScreen(screen))
		}
		time.Sleep(settleTime)
		screen, _ := s.ctl.Capture()
		if got := screenRow(screen, 0); got != "hello worlD" {
			t.Errorf("after settling vim's first row is %q", got)
		}
		s.SendKeys("Escape")
		s.typeSlowly(":wq", 20*time.Millisecond)
		s.SendKeys("Enter")
		s.WaitFor("\n$", waitLong)
		b, err := os.ReadFile(file)
		if err != nil || string(b) != "hello worlD\n" {
			t.Errorf("file holds %q (%v)", b, err)
		}
		s.quit()
	})
}
