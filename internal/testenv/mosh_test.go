package testenv

import (
	"strings"
	"testing"
	"time"
)

// TestRealMoshRoundTrip is the fixtures' proof: the real mosh-server and
// the real mosh-client, in tmux, run a shell end to end and both exit when
// it does.
func TestRealMoshRoundTrip(t *testing.T) {
	Short(t)
	port := FreeUDPPort(t)
	srv := StartMoshServer(t, "", "-p", itoa(port), "--", "/bin/sh")
	if srv.Port != port {
		t.Fatalf("server on port %d, asked for %d", srv.Port, port)
	}
	if len(srv.Key) != 22 || !Alive(srv.PID) {
		t.Fatalf("bad server: key %d chars, pid %d alive %v", len(srv.Key), srv.PID, Alive(srv.PID))
	}
	argv, env := MoshClientArgv(t, srv.Key, srv.Port)
	for _, a := range argv {
		if strings.Contains(a, srv.Key) {
			t.Fatal("the session key is in argv")
		}
	}
	m := StartTmux(t, TmuxOptions{Width: 80, Height: 24, Env: env}, argv...)
	m.SendText("echo hi-$((6*7))")
	m.SendKeys("Enter")
	m.WaitFor("hi-42", 20*time.Second)

	m.SendText("exit")
	m.SendKeys("Enter")
	if !WaitGone(srv.PID, 20*time.Second) {
		t.Fatalf("mosh-server %d still running after the shell exited", srv.PID)
	}
	if st := m.WaitExit(20 * time.Second); st != 0 {
		t.Fatalf("mosh-client exit status %d; screen:\n%s", st, FrameScreen(m.Capture()))
	}
	if Alive(m.PanePID()) {
		t.Fatalf("mosh-client %d still running", m.PanePID())
	}
}

func TestMoshServerCleanupKillsDetachedServer(t *testing.T) {
	Short(t)
	var pid int
	t.Run("inner", func(t *testing.T) {
		srv := StartMoshServer(t, "", "--", "/bin/sh")
		pid = srv.PID
	})
	if !WaitGone(pid, 5*time.Second) {
		t.Fatalf("mosh-server %d survived its test", pid)
	}
}

func TestStartMoshServerFailsWithoutConnectLine(t *testing.T) {
	// A binary that exits 0 without speaking the protocol must fail the
	// test, not return a zero port.
	ft := &fakeTB{TB: t}
	ft.run(func(tb testing.TB) { StartMoshServer(tb, "/bin/true") })
	if !ft.failed {
		t.Fatal("StartMoshServer accepted /bin/true")
	}
}

func TestFreeUDPPort(t *testing.T) {
	p := FreeUDPPort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("port %d", p)
	}
}

func TestUTF8Env(t *testing.T) {
	got := utf8Env([]string{"A=1", "LC_ALL=C", "LANG=POSIX", "LC_CTYPE=C", "LANGUAGE=en", "B=2"})
	want := "A=1 B=2 LANG=C.UTF-8"
	if strings.Join(got, " ") != want {
		t.Fatalf("utf8Env = %q, want %q", got, want)
	}
}
