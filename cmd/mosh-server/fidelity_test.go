package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// bothServers runs f against the real mosh-server and against ours, so
// each fidelity test also shows that the harness sees mosh's behaviour.
func bothServers(t *testing.T, f func(t *testing.T, real bool)) {
	t.Helper()
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-server")
	for _, real := range []bool{true, false} {
		name := "ours"
		if real {
			name = "real"
		}
		t.Run(name, func(t *testing.T) { f(t, real) })
	}
}

func serverBin(t *testing.T, real bool) string {
	if real {
		return ""
	}
	return ourServer(t)
}

// waitFile waits up to d for path to exist and returns its content.
func waitFile(path string, d time.Duration) ([]byte, bool) {
	deadline := time.Now().Add(d)
	for {
		if b, err := os.ReadFile(path); err == nil {
			return b, true
		}
		if time.Now().After(deadline) {
			return nil, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTypeaheadReachesShell: keys typed before mosh-client starts wait in
// its terminal, go out in its first datagram, and reach the shell as its
// first input line, as behind mosh-server (which writes them to the pty
// before releasing the shell). Our server used to apply them before the
// pty existed and lose them.
func TestTypeaheadReachesShell(t *testing.T) {
	bothServers(t, func(t *testing.T, real bool) {
		testenv.MustHaveExec(t, "mosh-client")
		srv := testenv.StartMoshServerEnv(t, serverBin(t, real), []string{"PS1=" + prompt, "ENV="}, "--", "/bin/sh")
		argv, env := testenv.MoshClientArgv(t, srv.Key, srv.Port)
		gate := filepath.Join(t.TempDir(), "go")
		// The pane's program waits for the gate, so the keys below
		// arrive while no mosh-client reads the terminal.
		wait := append([]string{"/bin/sh", "-c", `while [ ! -e "$0" ]; do sleep 0.02; done; exec "$@"`, gate}, argv...)
		tm := testenv.StartTmux(t, testenv.TmuxOptions{Env: env}, wait...)
		tm.SendText("echo typed-$((40+2))-ahead")
		tm.SendKeys("Enter")
		// The pane's line discipline echoes them: they are waiting there.
		tm.WaitFor("echo typed-$((40+2))-ahead", waitShort)
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// Both servers release the shell on the client's first datagram.
		// When it carries the keys, they are written first and the pty
		// echoes the line before the shell's first prompt, so the output
		// follows that prompt: "ms-test> typed-42-ahead". When mosh-client
		// sent it before reading its terminal, the line is typed at the
		// first prompt. Either way it is the shell's first input line.
		// Wait for the prompt after the answer too: the answer alone
		// may be captured before the shell draws it.
		screen := tm.WaitForFunc("the answer and the next prompt", func(s string) bool {
			return strings.Contains(s, "typed-42-ahead\n"+prompt)
		}, waitShort)
		first, ok := afterFirstPrompt(screen)
		echoFirst := strings.HasPrefix(first, "typed-42-ahead\n"+prompt)
		promptFirst := strings.HasPrefix(first, "echo typed-$((40+2))-ahead\ntyped-42-ahead\n"+prompt)
		if !ok || !(echoFirst || promptFirst) {
			t.Errorf("want the output as the answer to the shell's first input line:\n%s", testenv.FrameScreen(screen))
		}
		// And the session goes on normally after it.
		tm.SendText("echo then-$((1+2))")
		tm.SendKeys("Enter")
		tm.WaitFor("then-3", waitShort)
	})
}

// afterFirstPrompt returns what follows the first prompt on screen.
func afterFirstPrompt(screen string) (string, bool) {
	_, after, ok := strings.Cut(screen, prompt)
	return after, ok
}

// TestChildEnvMatchesMoshServer: the program's whole environment behind our
// server equals the one behind mosh-server started the same way on this
// host, variable by variable: mosh-server sets TERM and
// NCURSES_NO_UTF8_ACS, sets PWD to the home directory, removes STY, and
// passes everything else through, the timeout variables included. The
// session key is in neither.
func TestChildEnvMatchesMoshServer(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "mosh-server")
	testenv.MustHaveExec(t, "mosh-client")
	serverEnv := []string{
		"MOSH_SERVER_NETWORK_TMOUT=600", "MOSH_SERVER_SIGNAL_TMOUT=60",
		"STY=4242.pts-0.host", "TERM=vt100", "NCURSES_NO_UTF8_ACS=0", "PWD=/nonexistent",
		"SSH_MOSH_ENV_PROBE=kept as is",
	}
	envOf := func(real bool) (map[string]string, string) {
		file := filepath.Join(t.TempDir(), "env")
		srv := testenv.StartMoshServerEnv(t, serverBin(t, real), serverEnv,
			"--", "/bin/sh", "-c", `env -0 >"$0.tmp" && mv "$0.tmp" "$0"; exec sleep 60`, file)
		attachClient(t, srv, 80, 24)
		b, ok := waitFile(file, waitShort)
		if !ok {
			t.Fatalf("real=%v: the program never wrote its environment", real)
		}
		m := map[string]string{}
		for _, kv := range bytes.Split(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
			k, v, _ := strings.Cut(string(kv), "=")
			m[k] = v
		}
		return m, srv.Key
	}
	realEnv, _ := envOf(true)
	ourEnv, key := envOf(false)

	for k, v := range ourEnv {
		if strings.Contains(v, key) || strings.Contains(k, key) {
			t.Errorf("our session's environment holds the session key in %s", k)
		}
	}
	names := map[string]bool{}
	for k := range realEnv {
		names[k] = true
	}
	for k := range ourEnv {
		names[k] = true
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range names {
			if !yield(k) {
				return
			}
		}
	}) {
		rv, rok := realEnv[k]
		ov, ook := ourEnv[k]
		switch {
		case rok && !ook:
			t.Errorf("%s=%q behind mosh-server, missing behind ours", k, rv)
		case !rok && ook:
			t.Errorf("%s=%q behind ours, absent behind mosh-server", k, ov)
		case rv != ov:
			t.Errorf("%s: %q behind mosh-server, %q behind ours", k, rv, ov)
		}
	}
	for _, want := range []string{"MOSH_SERVER_NETWORK_TMOUT=600", "MOSH_SERVER_SIGNAL_TMOUT=60", "TERM=xterm",
		"NCURSES_NO_UTF8_ACS=1", "SSH_MOSH_ENV_PROBE=kept as is"} {
		k, v, _ := strings.Cut(want, "=")
		if ourEnv[k] != v {
			t.Errorf("behind ours %s=%q, want %q", k, ourEnv[k], v)
		}
	}
	if _, ok := ourEnv["STY"]; ok {
		t.Errorf("STY reached the program behind ours")
	}
}

// TestHangupLetsProgramFinish: when the session ends the server hangs up
// the terminal, as mosh-server and sshd do, and kills nothing: a program
// that catches SIGHUP and takes 5 s to save its work finishes it, while
// the server itself is gone at once. Ours used to SIGKILL it after 2 s.
func TestHangupLetsProgramFinish(t *testing.T) {
	bothServers(t, func(t *testing.T, real bool) {
		dir := t.TempDir()
		saved, pidFile := filepath.Join(dir, "saved"), filepath.Join(dir, "pid")
		// Each file is written whole (a rename), as the environment's
		// above: a redirection creates it empty first, and waitFile
		// could read it between the two.
		script := `echo $$ >"$1.tmp" && mv "$1.tmp" "$1"; trap 'sleep 5; echo state-saved >"$0.tmp" && mv "$0.tmp" "$0"; exit 0' HUP; echo trap-$((2+3))-ready; while :; do sleep 1; done`
		s := startSession(t, sessionOptions{realServer: real,
			command: []string{"/bin/sh", "-c", script, saved, pidFile}})
		s.tm.WaitFor("trap-5-ready", waitShort)
		b, ok := waitFile(pidFile, waitShort)
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if !ok || err != nil {
			t.Fatalf("no pid from the program (%q)", b)
		}
		testenv.StopAtCleanup(t, pid) // only if the test fails half-way
		if err := syscall.Kill(s.srv.PID, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		ended := time.Now()
		s.wantServerGone(waitShort)
		t.Logf("server gone %v after SIGTERM", time.Since(ended).Round(time.Millisecond))
		if !fileExists(saved) && !testenv.Alive(pid) {
			t.Fatalf("the program (pid %d) is dead before finishing its SIGHUP handler", pid)
		}
		got, ok := waitFile(saved, 5*time.Second+waitShort)
		if !ok {
			t.Fatalf("the program trapping SIGHUP never finished (alive: %v)", testenv.Alive(pid))
		}
		if string(got) != "state-saved\n" {
			t.Errorf("saved file = %q", got)
		}
		if d := time.Since(ended); d < 4*time.Second {
			t.Errorf("the handler finished %v after the end; it sleeps 5 s, so did it run at all?", d)
		}
		if !testenv.WaitGone(pid, waitShort) {
			t.Errorf("the program (pid %d) did not exit after its handler", pid)
		}
	})
}
