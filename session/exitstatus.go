package session

import (
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// The exit-status extension (docs/PROTOCOL-EXTENSIONS.md): our client
// offers wire.FeatureExitStatus in its user stream; our server, having seen
// the offer, puts the program's exit status into its last complete state,
// and the client ends with it as ssh does. Nothing of it is sent to a peer
// that did not offer it, and a stock server's silence leaves the client
// ending with 0, as mosh-client does.

// clientFeatures is what our client offers a server.
const clientFeatures = wire.FeatureExitStatus

// exitState is the exit status part of a complete state. Comparable, so
// that complete.Equal and DiffFrom see it change.
type exitState struct {
	known  bool
	status wire.ExitStatus
}

// appendDiff appends the exit status instruction when existing lacks it.
// Applying it twice sets the same value: the diff is idempotent like every
// other part of a complete diff.
func (e exitState) appendDiff(ins []wire.HostInstruction, existing exitState) []wire.HostInstruction {
	if !e.known || e == existing {
		return ins
	}
	return append(ins, wire.HostInstruction{Kind: wire.HostExitStatus, Exit: e.status})
}

// SetExitStatus records how the program ended. A server calls it only for
// a client that offered wire.FeatureExitStatus: a stock mosh-client must
// never receive it.
func (c *complete) SetExitStatus(st wire.ExitStatus) {
	c.exit = exitState{known: true, status: st}
}

// ExitStatus is the program's exit status, when the server sent one.
func (c *complete) ExitStatus() (wire.ExitStatus, bool) {
	return c.exit.status, c.exit.known
}

// SSHExitCode is the status ssh-mosh ends with for a program that ended
// so, the one OpenSSH's ssh gives: the program's exit code, or 255 when a
// signal killed it (sshd then sends exit-signal, which ssh reports as a
// lost status, 255 — measured with OpenSSH 9.2: `ssh -t host 'kill -TERM
// $$'` ends with 255). A shell in between turns a child's signal into
// 128+N itself, and that arrives here as an ordinary exit code.
func SSHExitCode(st wire.ExitStatus) int {
	if st.Signal != 0 {
		return 255
	}
	return int(st.Code)
}

// waitStatus converts a finished process's state.
func waitStatus(ps *os.ProcessState) wire.ExitStatus {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return wire.ExitStatus{Signal: uint8(ws.Signal() & 0x7f)}
	}
	return wire.ExitStatus{Code: uint8(ps.ExitCode())}
}

// childWatch waits for the program in the background, so the server loop
// can read its status without blocking on it. It is the only caller of
// the program's Wait.
type childWatch struct {
	done   chan struct{} // closed once status is set
	status wire.ExitStatus
}

func watchChild(cmd *exec.Cmd) *childWatch {
	w := &childWatch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		if err := cmd.Wait(); err != nil && cmd.ProcessState == nil {
			w.status = wire.ExitStatus{Code: 255}
			return
		}
		w.status = waitStatus(cmd.ProcessState)
	}()
	return w
}

// serverExtensions is the server's side of the extensions.
type serverExtensions struct {
	offered uint64 // features the client offered
}

// exitStatusWait bounds how long the server waits, once the program's
// terminal has closed, for the program itself to be reaped. A program
// normally exits as it closes its terminal; one that closes it and runs
// on ends the session without a status, as it would without the wait.
const exitStatusWait = time.Second

// orphanQuiet is how long the terminal of a program that exited must stay
// silent before the session ends without its closing, and orphanWaitMax
// how long the session waits for that at most (a background job still
// printing). A shell that exits normally closes its terminal as it goes,
// and the session ends at once on the close (ptyClosed); a background job
// started from it (`sleep 100 &`) keeps the terminal open, and mosh-server
// would wait for that job's end. sshd ends the session when the shell
// exits, with its status, and the job runs on, its terminal hung up: so
// do we. The quiet time lets the program's last output, already in the
// terminal, through first.
const (
	orphanQuiet   = 200 * time.Millisecond
	orphanWaitMax = 5 * time.Second
)

// orphaned ends the session as ptyClosed would once the program has
// exited and its terminal, still held open by a job it left behind, has
// been quiet for orphanQuiet (or after orphanWaitMax).
func (s *server) orphaned(now time.Time) {
	if s.progExited.IsZero() {
		return
	}
	if s.ptyOut == nil {
		// The terminal closed after all: ptyClosed ran.
		s.progExited = time.Time{}
		return
	}
	if now.Before(s.orphanWake()) {
		return
	}
	s.log.Info("the program exited, but a job it left holds its terminal open: ending the session as sshd does")
	s.progExited = time.Time{}
	// The rest of the job's output is not read; the hang-up at the end
	// of the session (stopChild) closes the terminal under it.
	s.ptyOut = nil
	s.ptyClosed(now)
}

// orphanWake is when orphaned next has something to decide (zero: nothing
// pending).
func (s *server) orphanWake() time.Time {
	if s.progExited.IsZero() || s.ptyOut == nil {
		return time.Time{}
	}
	quiet := s.progExited
	if s.lastOutput.After(quiet) {
		quiet = s.lastOutput
	}
	return roam.Earliest(quiet.Add(orphanQuiet), s.progExited.Add(orphanWaitMax))
}

// ptyClosed ends the session when the program's terminal has closed, as
// mosh-server does; for a client that asked for it, the program's exit
// status goes into the state first, so the shutdown carries it. The loop
// does not block on the program: it waits for its end as an event
// (Sources.Exited), or for exitStatusWait (awaitExitStatus, at each step).
func (s *server) ptyClosed(now time.Time) {
	if s.t.ShutdownInProgress() {
		return
	}
	if s.t.Current().historyPending(s.t.Acked().HistoryNext()) {
		// The rest of the history goes first, at its usual pace
		// (drainHistory).
		s.histDrain = now
		return
	}
	s.endAfterPty(now)
}

// historyDrainWait bounds how long a session whose program has closed its
// terminal goes on to send the history its client has not got (a
// flood's last 10,000 lines take about 15 round trips).
const historyDrainWait = 5 * time.Second

// drainHistory ends the wait ptyClosed started for the history: once the
// client has acknowledged all of it, or after historyDrainWait (the rest
// then goes as a gap, but for the newest lines), the session ends as
// ptyClosed would have.
func (s *server) drainHistory(now time.Time) {
	if s.histDrain.IsZero() {
		return
	}
	acked := s.t.Acked().HistoryNext()
	if s.t.Current().historyPending(acked) && now.Sub(s.histDrain) < historyDrainWait {
		return
	}
	s.t.Current().closeHistory(acked)
	s.histDrain = time.Time{}
	s.endAfterPty(now)
}

// endAfterPty is the end of a session whose program closed its terminal:
// at once, or after its exit status for a client that asked for it.
func (s *server) endAfterPty(now time.Time) {
	if s.ext.offered&wire.FeatureExitStatus == 0 || s.prog == nil {
		s.t.StartShutdown(now)
		return
	}
	s.ptyEOF = now
	s.awaitExitStatus(now)
}

// awaitExitStatus ends the wait ptyClosed started: with the status once the
// program was reaped, without it after exitStatusWait.
func (s *server) awaitExitStatus(now time.Time) {
	if s.ptyEOF.IsZero() {
		return
	}
	select {
	case <-s.prog.Exited():
		s.t.Current().SetExitStatus(s.prog.ExitStatus())
	default:
		if now.Sub(s.ptyEOF) < exitStatusWait {
			return
		}
		s.log.Info("the program closed its terminal but still runs: ending without its exit status")
	}
	s.ptyEOF = time.Time{}
	if !s.t.ShutdownInProgress() {
		s.t.StartShutdown(now)
	}
}
