package session

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// The server's rules on a fake program and netem's in-memory pipe, on
// synctest's fake clock: each runs in microseconds of real time, and the
// times asserted are exact.

// waitFor advances the fake clock in small steps until cond holds.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
		synctest.Wait()
	}
}

// connect waits until the server answered and the program runs.
func (r *serverRig) connect() {
	r.t.Helper()
	waitFor(r.t, "the server's first state", 5*time.Second, func() bool {
		var ok bool
		r.do(func(time.Time) { ok = r.ct.RemoteNum() != 0 })
		return ok
	})
	waitFor(r.t, "the program's start", time.Second, func() bool {
		r.prog.mu.Lock()
		defer r.prog.mu.Unlock()
		return r.prog.started
	})
}

func TestServerRuleKeysAndResizeReachTheProgram(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServerRig(t, ServerConfig{}, false)
		defer r.close()
		r.do(func(time.Time) { r.ct.Current().PushKeys([]byte("ab")) })
		r.connect()
		// Keys typed before the program ran are its typeahead, in order.
		waitFor(t, "typeahead", time.Second, func() bool { return string(r.prog.typed()) == "ab" })
		// Of consecutive resizes only the last reaches the terminal.
		r.do(func(time.Time) {
			r.ct.Current().PushResize(100, 30)
			r.ct.Current().PushResize(120, 40)
			r.ct.Current().PushKeys([]byte("c"))
		})
		waitFor(t, "keys after the resize", time.Second, func() bool { return string(r.prog.typed()) == "abc" })
		sizes := r.prog.sizeLog()
		if want := [][2]int{{80, 24}, {120, 40}}; len(sizes) != 2 || sizes[0] != want[0] || sizes[1] != want[1] {
			t.Errorf("terminal sizes %v, want %v", sizes, want)
		}
		// The program's output reaches the client's screen.
		r.prog.print("hello")
		waitFor(t, "output on the client's screen", time.Second, func() bool { return r.row0() == "hello" })
	})
}

func TestServerRuleEchoAckWaitsEchoTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServerRig(t, ServerConfig{}, false)
		defer r.close()
		r.connect()
		time.Sleep(5 * time.Second) // let the opening exchange settle
		synctest.Wait()
		var typedAt time.Time
		var num uint64
		r.do(func(now time.Time) {
			r.ct.Current().PushKeys([]byte("x"))
			typedAt = now
		})
		waitFor(t, "the key's state sent", time.Second, func() bool {
			r.do(func(time.Time) { num = r.ct.SentNum() })
			return string(r.prog.typed()) == "x"
		})
		var ackedAt time.Time
		waitFor(t, "the echo ack", time.Second, func() bool {
			r.do(func(now time.Time) {
				if r.ct.Remote().EchoAck() >= num {
					ackedAt = now
				}
			})
			return !ackedAt.IsZero()
		})
		// The ack waits echoTimeout after the key reached the program;
		// on an idle link that is the time since typing, plus the
		// pacing of the frame that carries it.
		if d := ackedAt.Sub(typedAt); d < echoTimeout || d > echoTimeout+100*time.Millisecond {
			t.Errorf("echo ack %v after the key, want just over %v", d, echoTimeout)
		}
	})
}

func TestServerRuleNoClientTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServerRig(t, ServerConfig{NoClientTimeout: 20 * time.Second}, true)
		err := <-r.served
		if err == nil || !strings.Contains(err.Error(), "no connection within 20s") {
			t.Errorf("Serve: %v, want the no-client timeout", err)
		}
		if d := r.since(); d != 20*time.Second {
			t.Errorf("ended after %v, want 20s", d)
		}
		r.served <- err
		r.close()
	})
}

func TestServerRuleNetworkTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServerRig(t, ServerConfig{NetworkTimeout: 30 * time.Second}, false)
		r.connect()
		var lastSent time.Time
		r.do(func(now time.Time) { lastSent = now })
		// The client goes silent: nothing of it arrives any more.
		r.cliLoss.Blackout(true)
		err := <-r.served
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
		// 30 s after the newest client state arrived the server starts
		// its shutdown, and (mosh-server's rule) the timeout seen again
		// with a shutdown in progress ends it at once. The client's
		// newest state arrived a moment before lastSent.
		if d := time.Since(lastSent); d < 29*time.Second || d > 30*time.Second {
			t.Errorf("ended %v after the client went silent, want 30 s after its last state", d)
		}
		r.served <- err
		r.close()
	})
}

func TestServerRuleShutdownLingers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServerRig(t, ServerConfig{}, false)
		r.connect()
		// The server's acks are lost for a while after the client asks to
		// shut down; mosh-server would exit after its first lost ack.
		r.lossy.Blackout(true)
		r.do(func(now time.Time) { r.ct.StartShutdown(now) })
		time.Sleep(150 * time.Millisecond)
		r.lossy.Blackout(false)
		if err := <-r.pumped; err != nil {
			t.Fatalf("client pump: %v", err)
		}
		r.pumped <- nil
		if !r.ct.ShutdownAcknowledged() {
			t.Fatal("the client's shutdown was never acknowledged")
		}
		start := time.Now()
		if err := <-r.served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		// It lingers shutdownLinger after its first ack, which was before
		// the client heard one.
		if d := time.Since(start); d > shutdownLinger {
			t.Errorf("the server ended %v after the client, want within its linger %v", d, shutdownLinger)
		}
		r.prog.mu.Lock()
		hungUp := r.prog.hungUp
		r.prog.mu.Unlock()
		if !hungUp {
			t.Error("the program was not hung up")
		}
		r.served <- nil
		r.close()
	})
}

func TestServerRuleProgramExitCarriesStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServerRig(t, ServerConfig{}, false)
		r.connect()
		r.prog.exit(3)
		if err := <-r.pumped; err != nil {
			t.Fatalf("client pump: %v", err)
		}
		r.pumped <- nil
		st, ok := r.ct.Remote().ExitStatus()
		if !ok || st != (wire.ExitStatus{Code: 3}) {
			t.Errorf("exit status %+v (%v), want code 3", st, ok)
		}
		r.close()
	})
}

func TestServerRuleExitStatusWaitIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newServerRig(t, ServerConfig{}, false)
		r.connect()
		// The program closes its terminal but runs on: the session ends
		// after exitStatusWait, without a status, and the loop kept
		// answering meanwhile (it does not block on the program).
		closedAt := time.Now()
		r.prog.closeTerminal()
		r.do(func(time.Time) { r.ct.Current().PushKeys([]byte("k")) })
		if err := <-r.pumped; err != nil {
			t.Fatalf("client pump: %v", err)
		}
		r.pumped <- nil
		if d := time.Since(closedAt); d < exitStatusWait || d > exitStatusWait+500*time.Millisecond {
			t.Errorf("the session ended %v after the terminal closed, want just over %v", d, exitStatusWait)
		}
		if _, ok := r.ct.Remote().ExitStatus(); ok {
			t.Error("an exit status arrived for a program that never exited")
		}
		close(r.prog.exited)
		r.close()
	})
}

// A program that exits while a job it left holds its terminal open ends
// the session with its status, as sshd does, once the terminal has been
// quiet for orphanQuiet: its last output still reaches the client, and a
// job that keeps printing delays the end by orphanWaitMax at most.
func TestServerRuleOrphanedTerminalEndsSession(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after func(p *fakeProgram) // runs once the program has exited
		min   time.Duration        // the end, after the exit
		max   time.Duration
	}{
		{"quiet", func(*fakeProgram) {}, orphanQuiet, orphanQuiet + 100*time.Millisecond},
		{"last-output-late", func(p *fakeProgram) {
			time.Sleep(orphanQuiet / 2)
			p.print(" late")
		}, orphanQuiet * 3 / 2, orphanQuiet*3/2 + 100*time.Millisecond},
		{"job-keeps-printing", func(p *fakeProgram) {
			// Until just before the end: the fake's terminal must not
			// be written to once the session closed it.
			for range int(orphanWaitMax/(orphanQuiet/2)) - 1 {
				time.Sleep(orphanQuiet / 2)
				p.print(".")
			}
		}, orphanWaitMax, orphanWaitMax + 100*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newServerRig(t, ServerConfig{}, false)
				r.connect()
				r.prog.print("logout")
				exited := time.Now()
				r.prog.exitLeavingTerminal(3)
				printed := make(chan struct{})
				go func() {
					defer close(printed)
					tc.after(r.prog)
				}()
				select {
				case err := <-r.pumped:
					if err != nil {
						t.Fatalf("client pump: %v", err)
					}
				case <-time.After(2 * orphanWaitMax):
					t.Fatal("the session did not end after the program exited")
				}
				r.pumped <- nil
				<-printed
				if d := time.Since(exited); d < tc.min || d > tc.max {
					t.Errorf("the session ended %v after the program, want %v to %v", d, tc.min, tc.max)
				}
				if st, ok := r.ct.Remote().ExitStatus(); !ok || st != (wire.ExitStatus{Code: 3}) {
					t.Errorf("exit status %+v (%v), want code 3", st, ok)
				}
				row := rowText(r.ct.Remote(), 0)
				if !strings.HasPrefix(row, "logout") {
					t.Errorf("row 0 is %q, want the program's last output", row)
				}
				if tc.name == "last-output-late" && row != "logout late" {
					t.Errorf("row 0 is %q, want the output the job printed before the end", row)
				}
				synctest.Wait()
				r.close()
				r.prog.mu.Lock()
				defer r.prog.mu.Unlock()
				if !r.prog.hungUp {
					t.Error("the terminal was not hung up")
				}
			})
		})
	}
}

// The login session's motd: the first file of each group that has
// anything (Ubuntu's dynamic motd, then /etc/motd), then the login notice;
// ~/.hushlogin silences all of it, as in mosh-server.
func TestServerRuleMotdAndLoginNotice(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := [][]string{
		{filepath.Join(dir, "missing"), write("empty", ""), write("dynamic", "DYNAMIC\n"), write("dynamic2", "NOT-SHOWN\n")},
		{write("motd", "ETC\n")},
	}
	for _, hushed := range []bool{false, true} {
		t.Run(fmt.Sprintf("hushlogin=%v", hushed), func(t *testing.T) {
			home := t.TempDir()
			if hushed {
				if err := os.WriteFile(filepath.Join(home, ".hushlogin"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			synctest.Test(t, func(t *testing.T) {
				asked := 0
				r := newServerRig(t, ServerConfig{Motd: true, Dir: home, motdFiles: files,
					LoginNotice: func() string { asked++; return "NOTICE\n" }}, false)
				defer r.close()
				r.connect()
				r.prog.print("$ ")
				waitFor(t, "the prompt", time.Second, func() bool {
					var rows []string
					r.do(func(time.Time) {
						for y := range 4 {
							rows = append(rows, rowText(r.ct.Remote(), y))
						}
					})
					want := []string{"DYNAMIC", "ETC", "NOTICE", "$"}
					if hushed {
						want = []string{"$", "", "", ""}
					}
					return slices.Equal(rows, want)
				})
				if want := map[bool]int{false: 1, true: 0}[hushed]; asked != want {
					t.Errorf("the notice was asked for %d times, want %d", asked, want)
				}
			})
		})
	}
}
