package main

import (
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// Exit status and the last screen (docs/PROTOCOL-EXTENSIONS.md): an
// ssh-mosh session ends with the program's status, as ssh does, and leaves
// its last screen in the terminal.

// exitCases are programs and the status ssh gives for them. A program
// killed by a signal ends ssh with 255 (sshd sends exit-signal, not
// exit-status; measured against OpenSSH 9.2 in TestLoginDifferentialAgainstOpenSSH);
// a shell in between reports its child's SIGTERM as 143 itself.
var exitCases = []struct {
	name string
	cmd  string
	want int
}{
	{"exit-3", "echo visible-output; exit 3", 3},
	{"exit-0", "echo visible-output; exit 0", 0},
	{"sigterm", "echo visible-output; kill -TERM $$", 255},
	{"shell-reports-sigterm", "echo visible-output; sh -c 'kill -TERM $$'; exit $?", 143},
}

// beforeSession runs argv in a tmux pane after printing a line, as a
// user's shell would have shown the command that started the session.
func beforeSession(t *testing.T, env []string, argv ...string) *testenv.Tmux {
	t.Helper()
	full := append([]string{"/bin/sh", "-c", `echo before-session; exec "$@"`, "sh"}, argv...)
	return testenv.StartTmux(t, testenv.TmuxOptions{Width: 80, Height: 24, Env: env}, full...)
}

// wantLastScreen checks that the screen still shows what came before the
// session and, below it, what the session printed.
func wantLastScreen(t *testing.T, screen string, lines ...string) {
	t.Helper()
	at := strings.Index(screen, "before-session")
	for _, l := range lines {
		i := strings.Index(screen, l)
		if at < 0 || i < at {
			t.Errorf("%q is not on the screen below the line before the session:\n%s", l, testenv.FrameScreen(screen))
			return
		}
		at = i
	}
}

// TestExitStatusLocal: `ssh-mosh --local CMD` ends with CMD's status as
// ssh would, the output stays on the terminal below what was there before,
// and so it does with --no-init (no alternate screen at all).
func TestExitStatusLocal(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	for _, c := range exitCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := beforeSession(t, nil, bin, "--local", c.cmd)
			if st := m.WaitExit(waitLong); st != c.want {
				t.Errorf("ssh-mosh --local %q ended with %d, want %d; screen:\n%s", c.cmd, st, c.want, testenv.FrameScreen(m.Capture()))
			}
			// With our server the session leaves the alternate screen
			// (scrollback): what came before is in the pane's history.
			wantLastScreen(t, m.CaptureHistory(false), "visible-output", "[mosh is exiting.]")
		})
	}
	t.Run("no-init", func(t *testing.T) {
		t.Parallel()
		m := beforeSession(t, nil, bin, "--local", "--no-init", "echo visible-output; exit 3")
		if st := m.WaitExit(waitLong); st != 3 {
			t.Errorf("ended with %d, want 3", st)
		}
		// Without the alternate screen the session drew over the
		// terminal's screen: its last frame is what stays, once.
		screen := m.Capture()
		if strings.Count(screen, "visible-output") != 1 || !strings.Contains(screen, "[mosh is exiting.]") {
			t.Errorf("screen after --no-init:\n%s", testenv.FrameScreen(screen))
		}
	})
}

// TestExitStatusOurServer: our client (--connect) and our mosh-server,
// with the wire watched in between: the client offers the extension, the
// server answers with the status when the program ends, the client ends
// with it and leaves the last screen. The real mosh-client against the
// same server offers nothing, never receives the field, and ends as
// mosh-client does: status 0, clean, the alternate screen left.
func TestExitStatusOurServer(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	for _, real := range []bool{false, true} {
		name := "ssh-mosh-connect"
		if real {
			name = "real-mosh-client"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, serverKinds[1])
			w := newWireWatch(t, srv.Port, srv.Key)
			argv := ourClients[1].argv(t, w.Port())
			env := []string{"MOSH_KEY=" + srv.Key}
			if real {
				argv, env = testenv.MoshClientArgv(t, srv.Key, w.Port())
			}
			m := beforeSession(t, env, argv...)
			m.WaitFor("$", waitLong)
			m.SendText("echo visible-$((6*7)); exit 3\r")
			st := m.WaitExit(waitLong)
			screen := m.Capture()
			offers, exits, up, down, bad := w.seen()
			if up == 0 || down == 0 || len(bad) > 0 {
				t.Fatalf("the watch saw %d datagrams to the server, %d to the client, bad diffs %v", up, down, bad)
			}
			if strings.Contains(screen, "did not shut down cleanly") || !strings.Contains(screen, "[mosh is exiting.]") {
				t.Errorf("unclean end:\n%s", testenv.FrameScreen(screen))
			}
			if real {
				if len(offers) != 0 || len(exits) != 0 || st != 0 || w.historiesSeen() != 0 {
					t.Errorf("real mosh-client: offers %v, exit statuses sent to it %v, history instructions %d, status %d (want none, none, 0, 0)",
						offers, exits, w.historiesSeen(), st)
				}
				// mosh-client leaves the alternate screen and with it the
				// session's output.
				if strings.Contains(screen, "visible-42") {
					t.Errorf("the real mosh-client's screen kept the session:\n%s", testenv.FrameScreen(screen))
				}
				return
			}
			if len(offers) == 0 || offers[0] != wire.FeatureExitStatus|wire.FeatureScrollback {
				t.Errorf("our client's offers on the wire: %v", offers)
			}
			if len(exits) == 0 || exits[0] != (wire.ExitStatus{Code: 3}) || st != 3 {
				t.Errorf("exit statuses on the wire %v, client status %d; want exit 3 and 3", exits, st)
			}
			if w.historiesSeen() == 0 {
				t.Error("our server did not answer the scrollback offer")
			}
			wantLastScreen(t, m.CaptureHistory(false), "visible-42", "[mosh is exiting.]")
		})
	}
}

// TestExitStatusRealServer: against the stock mosh-server our client's
// offer goes unanswered and does no harm — the session works to the end,
// which comes with status 0 as with mosh-client, and the last screen stays.
func TestExitStatusRealServer(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	srv := startServer(t, serverKinds[0])
	w := newWireWatch(t, srv.Port, srv.Key)
	m := beforeSession(t, []string{"MOSH_KEY=" + srv.Key}, ourClients[1].argv(t, w.Port())...)
	m.WaitFor("$", waitLong)
	// The screen works: typing, output, a resize the shell sees.
	m.SendText("echo works-$((6*7))\r")
	m.WaitFor("works-42", waitLong)
	m.Resize(100, 30)
	m.SendText(`i=0; while [ "$(stty size)" != "30 100" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; echo "size=$(stty size)"` + "\r")
	m.WaitFor("size=30 100", waitLong)
	m.SendText("echo visible-output; exit 3\r")
	st := m.WaitExit(waitLong)
	screen := m.Capture()
	offers, exits, up, down, bad := w.seen()
	if len(offers) == 0 || len(exits) != 0 || len(bad) > 0 || up == 0 || down == 0 {
		t.Errorf("wire: offers %v, exit statuses %v, bad diffs %v, datagrams %d up %d down", offers, exits, bad, up, down)
	}
	if st != 0 || strings.Contains(screen, "did not shut down cleanly") {
		t.Errorf("our client against the real mosh-server ended with %d (want 0, as mosh-client); screen:\n%s", st, testenv.FrameScreen(screen))
	}
	wantLastScreen(t, screen, "works-42", "size=30 100", "visible-output", "[mosh is exiting.]")
}
