package main

import (
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestNoClientExits: a server that no client ever contacts gives up by
// itself (mosh: after 60 s; shortened here through the test-only variable)
// and never starts the application.
func TestNoClientExits(t *testing.T) {
	testenv.Short(t)
	marker := t.TempDir() + "/started"
	start := time.Now()
	srv := testenv.StartMoshServerEnv(t, ourServer(t), []string{noClientTimeoutEnv + "=1500ms"},
		"--", "/bin/sh", "-c", "touch "+marker)
	if !testenv.WaitGone(srv.PID, 1500*time.Millisecond+waitShort) {
		t.Fatalf("server %d still running long after its no-client timeout", srv.PID)
	}
	if d := time.Since(start); d < 1400*time.Millisecond {
		t.Errorf("server gone after %v, before its 1.5 s no-client timeout", d)
	}
	if fileExists(marker) {
		t.Errorf("the application ran although no client came")
	}
}

// TestClientVanishesNetworkTimeout: when the client disappears without a
// word (SIGKILL), MOSH_SERVER_NETWORK_TMOUT ends the server and its shell:
// no orphans.
func TestClientVanishesNetworkTimeout(t *testing.T) {
	const tmout = 3 * time.Second
	s := startSession(t, sessionOptions{serverEnv: []string{"MOSH_SERVER_NETWORK_TMOUT=3"}})
	shell := s.shellPID()
	if err := syscall.Kill(s.tm.PanePID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	// The last client state arrived at most tmout before the kill (the
	// client sends one at least every 3 s), so the server must be gone
	// tmout after the kill, plus slack for a loaded machine.
	if !testenv.WaitGone(s.srv.PID, tmout+waitShort) {
		t.Fatalf("server %d still running %v after its client vanished", s.srv.PID, tmout+waitShort)
	}
	t.Logf("server gone %v after the client was killed", time.Since(killed).Round(time.Millisecond))
	if !testenv.WaitGone(shell, waitShort) {
		t.Errorf("the shell (pid %d) outlived its server", shell)
	}
}

// TestSIGTERMConnected: SIGTERM to a server with a client makes the server
// tell the client, and both exit cleanly; the shell goes with them.
func TestSIGTERMConnected(t *testing.T) {
	s := startSession(t, sessionOptions{})
	shell := s.shellPID()
	if err := syscall.Kill(s.srv.PID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if st := s.tm.WaitExit(waitShort); st != 0 {
		t.Errorf("mosh-client exited with status %d after the server's SIGTERM, want 0; screen:\n%s",
			st, testenv.FrameScreen(s.tm.Capture()))
	}
	s.wantServerGone(waitShort)
	if !testenv.WaitGone(shell, waitShort) {
		t.Errorf("the shell (pid %d) outlived its server", shell)
	}
}

// TestSIGTERMNoClient: SIGTERM to a server nobody reached ends it at once,
// as mosh-server does (there is nobody to tell).
func TestSIGTERMNoClient(t *testing.T) {
	testenv.Short(t)
	srv := testenv.StartMoshServer(t, ourServer(t), "--", "/bin/sh")
	if err := syscall.Kill(srv.PID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !testenv.WaitGone(srv.PID, waitShort) {
		t.Fatalf("server %d still running after SIGTERM", srv.PID)
	}
}

// TestSIGUSR1SignalTimeout: with MOSH_SERVER_SIGNAL_TMOUT, SIGUSR1 ends the
// server only when the client has been silent that long; a live session
// survives it.
func TestSIGUSR1SignalTimeout(t *testing.T) {
	s := startSession(t, sessionOptions{serverEnv: []string{"MOSH_SERVER_SIGNAL_TMOUT=2"}})
	if err := syscall.Kill(s.srv.PID, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	// The client is talking (heartbeats at least every 3 s, and it has
	// just sent its first states): the signal must not end the session.
	time.Sleep(500 * time.Millisecond)
	if !testenv.Alive(s.srv.PID) {
		t.Fatal("SIGUSR1 ended a server whose client was active")
	}
	// Silence the client: stop it (SIGSTOP), wait past the timeout, signal.
	client := s.tm.PanePID()
	if err := syscall.Kill(client, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(client, syscall.SIGCONT)
	time.Sleep(5 * time.Second) // > 2 s signal timeout + one 3 s heartbeat that may be in flight
	if err := syscall.Kill(s.srv.PID, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	s.wantServerGone(waitShort)
}

// TestSIGUSR1NoTimeout: without MOSH_SERVER_SIGNAL_TMOUT, SIGUSR1 always
// ends the session (mosh's rule).
func TestSIGUSR1NoTimeout(t *testing.T) {
	s := startSession(t, sessionOptions{})
	if err := syscall.Kill(s.srv.PID, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	s.wantServerGone(waitShort)
}
