package main

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// prompt is the shell prompt of test sessions: distinctive, so that waiting
// for it never matches typed text or command output by accident.
const prompt = "ms-test> "

// waitShort bounds waits for things that take milliseconds when all is well;
// the slack is for a loaded 2-core CI machine.
const waitShort = 10 * time.Second

// ourServer returns the path of this package's binary, built once per test
// process.
func ourServer(t testing.TB) string {
	t.Helper()
	return testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server")
}

// sessionOptions shape a test session: our server running a shell, the real
// mosh-client attached to it in tmux.
type sessionOptions struct {
	serverEnv  []string // added to the server's environment (after LANG=C.UTF-8)
	serverArgs []string // after `new -i 127.0.0.1`, before `--`
	command    []string // the program; nil means a plain sh with the test prompt
	width      int
	height     int
	realServer bool // run the real mosh-server instead of ours (for comparisons)
	// ourClient, when set, attaches `ssh-mosh --connect` with these
	// flags instead of the real mosh-client.
	ourClient []string
}

// live is our server with the real mosh-client attached in tmux.
type live struct {
	t   testing.TB
	srv *testenv.MoshServer
	tm  *testenv.Tmux
}

// startSession starts our server and attaches the real mosh-client in tmux,
// and returns once the shell's first prompt is on the client's screen.
func startSession(t testing.TB, o sessionOptions) *live {
	t.Helper()
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-client")
	testenv.MustHaveExec(t, "tmux")
	cmd := o.command
	if cmd == nil {
		cmd = []string{"/bin/sh"}
	}
	env := append([]string{"PS1=" + prompt, "ENV="}, o.serverEnv...)
	args := append(append(append([]string(nil), o.serverArgs...), "--"), cmd...)
	bin := "" // the real one
	if !o.realServer {
		bin = ourServer(t)
	}
	srv := testenv.StartMoshServerEnv(t, bin, env, args...)
	s := &live{t: t, srv: srv}
	if o.ourClient != nil {
		argv := append([]string{testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")}, o.ourClient...)
		argv = append(argv, "--connect", "127.0.0.1", strconv.Itoa(srv.Port))
		s.tm = testenv.StartTmux(t, testenv.TmuxOptions{Width: o.width, Height: o.height, Env: []string{"MOSH_KEY=" + srv.Key},
			HistoryLimit: 100000}, argv...)
	} else {
		s.tm = attachClient(t, srv, o.width, o.height)
	}
	if o.command == nil {
		s.tm.WaitFor(prompt, waitShort)
	}
	return s
}

// attachClient runs the real mosh-client against srv in a tmux terminal.
func attachClient(t testing.TB, srv *testenv.MoshServer, width, height int) *testenv.Tmux {
	t.Helper()
	argv, env := testenv.MoshClientArgv(t, srv.Key, srv.Port)
	return testenv.StartTmux(t, testenv.TmuxOptions{Width: width, Height: height, Env: env}, argv...)
}

// run types a command line and waits for want on the screen. Commands
// should compute their output (echo a-$((1+1))) so that the typed line
// itself never matches want.
func (s *live) run(line, want string) string {
	s.t.Helper()
	s.tm.SendText(line)
	s.tm.SendKeys("Enter")
	return s.tm.WaitFor(want, waitShort)
}

// shellPID asks the session's shell for its pid.
func (s *live) shellPID() int {
	s.t.Helper()
	re := regexp.MustCompile(`shell-pid-(\d+)-end`)
	s.tm.SendText("echo shell-pid-$(( $$ + 0 ))-end")
	s.tm.SendKeys("Enter")
	screen := s.tm.WaitForFunc("the shell's pid", re.MatchString, waitShort)
	pid, err := strconv.Atoi(re.FindStringSubmatch(screen)[1])
	if err != nil || pid <= 0 {
		s.t.Fatalf("bad shell pid on the screen (%v):\n%s", err, testenv.FrameScreen(screen))
	}
	return pid
}

// exit ends the shell and checks that the client exits with status 0 and
// that the server process is gone.
func (s *live) exit() {
	s.t.Helper()
	s.tm.SendText("exit")
	s.tm.SendKeys("Enter")
	if st := s.tm.WaitExit(waitShort); st != 0 {
		s.t.Errorf("mosh-client exited with status %d, want 0; screen:\n%s", st, testenv.FrameScreen(s.tm.Capture()))
	}
	s.wantServerGone(waitShort)
}

// wantServerGone fails the test unless the server process ends within d.
func (s *live) wantServerGone(d time.Duration) {
	s.t.Helper()
	if !testenv.WaitGone(s.srv.PID, d) {
		s.t.Errorf("our mosh-server (pid %d) still running %v later", s.srv.PID, d)
	}
}

// clientAlive fails the test if the real mosh-client has exited (it aborts
// on datagrams it considers impossible, docs/PROTOCOL.md, Robustness traps).
func (s *live) clientAlive() {
	s.t.Helper()
	if done, st := s.tm.Exited(); done {
		s.t.Fatalf("mosh-client exited (status %d); screen:\n%s", st, testenv.FrameScreen(s.tm.Capture()))
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func readLink(path string) (string, error) { return os.Readlink(path) }
