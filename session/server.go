package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// ServerPath is what the server loop needs of its datagram path: datagrams
// in, datagrams out to the current client, and following the client to a
// new address. *roam.UDPServer implements it.
type ServerPath interface {
	Incoming() <-chan roam.Datagram
	Send(b []byte) error
	Roam(to net.Addr) bool
}

// Server timings that are mosh-server's behaviour, not the transport's.
const (
	// defaultNoClientTimeout ends a server no client ever reached (mosh's
	// timeout_if_no_client).
	defaultNoClientTimeout = 60 * time.Second
)

// lightFrame is the diff size up to which a frame does not start a burst
// of paced frames (roam.Config.LightDiff): an echo ack alone is 6–14 bytes,
// a typed character's echo about as much. Without it, the echo ack the
// server sends 50 ms after a keystroke would hold back the echo of a key
// typed just after it by the send interval.
const lightFrame = 16

// ServerConfig describes one server session.
type ServerConfig struct {
	Path          ServerPath
	Key           wire.Key
	Width, Height int // initial screen size, until the client's first resize

	// The program to run on the pty once the first client state arrives.
	Path0 string   // executable path (looked up in Env's PATH if not absolute)
	Argv  []string // argv; Argv[0] may be "-bash" for a login shell
	Env   []string
	Dir   string
	Motd  bool // print the motd first, unless ~/.hushlogin exists (as sshd and mosh do)
	// LoginNotice, when set, is asked once, with the motd, for a notice to
	// print after it (mosh-server's reminder of detached sessions).
	LoginNotice func() string
	// motdFiles replaces mosh's motd files in tests (nil: motdFiles).
	motdFiles [][]string

	// NetworkTimeout ends the session after that long without a new client
	// state (MOSH_SERVER_NETWORK_TMOUT; 0 = never). SignalTimeout makes
	// SIGUSR1 end the session only when idle that long (MOSH_SERVER_SIGNAL_TMOUT;
	// 0 = always).
	NetworkTimeout, SignalTimeout time.Duration
	// NoClientTimeout ends a server that no client reached within it;
	// 0 means mosh's 60 s (defaultNoClientTimeout). Only tests shorten it.
	NoClientTimeout time.Duration
	// Signals delivers SIGTERM, SIGINT and SIGUSR1 (the caller registers them).
	Signals <-chan os.Signal
	// Control carries requests from outside the loop (control.go); nil
	// when there are none.
	Control <-chan ControlRequest

	// Scrollback is how many lines of history the server keeps for a
	// client that offers the scrollback extension (0 = none; the
	// extension is then not used).
	Scrollback int

	// Records, if set, keeps the host's login records of the session
	// (utmp and syslog, as mosh-server does; package loginrec).
	Records Records

	Transport roam.Config
	Log       *slog.Logger
}

// server is the state of Serve's loop; one goroutine (the roam.Pump
// running it as its App) owns all of it.
type server struct {
	cfg   ServerConfig
	log   *slog.Logger
	trace *tracer
	t     *roam.Transport[*complete, *userStream]
	emu   *term.Emulator
	echo  echoTracker
	start startProgram
	prog  program // nil until the first client state arrives
	// typeahead holds the keys that arrived before the program ran (the
	// client's first state carries what the user typed while it
	// connected); startChild delivers them, in order, once it does.
	typeahead []byte
	ptyOut    *roam.Feed // the program's output; nil before it runs and after EOF
	remote    uint64     // newest client state applied
	started   time.Time
	lastData  time.Time // arrival of the newest client state
	sigUSR1   bool      // SIGUSR1 arrived since the last exit-rule check
	// ackedShutdown is when we first told the client we got its shutdown
	// (zero before); the server lingers shutdownLinger after it.
	ackedShutdown time.Time
	// ptyEOF is when the program's terminal closed while the server waits
	// (up to exitStatusWait) for the program's exit status; zero otherwise.
	ptyEOF time.Time
	// exitSeen is set once the program's end arrived as an event;
	// progExited is when it did while the terminal stayed open (a
	// background job holds it), until orphaned ends the session or the
	// terminal closes after all; lastOutput is the newest output's arrival.
	exitSeen   bool
	progExited time.Time
	lastOutput time.Time
	// histDrain is when the program's terminal closed while history was
	// still to be sent (up to historyDrainWait, drainHistory); zero
	// otherwise.
	histDrain time.Time
	// ext is what the client's extension offer changed (exitstatus.go).
	ext serverExtensions
	// tcfg is the transport configuration each transport is made with.
	tcfg roam.Config
	// lastContact is the arrival of the newest authentic datagram.
	lastContact time.Time
	// takeover is the key a ControlTakeover chose, until the loop switches
	// to it; killed is set by ControlKill.
	takeover *wire.Key
	killed   bool
	// retired is the transport a takeover replaced, while it still sends
	// its shutdown to the old client; nil otherwise.
	retired *roam.Transport[*complete, *userStream]
	// recAddr is the client address the records name while recAttached
	// (cfg.Records).
	recAddr     net.Addr
	recAttached bool
	// left: the client said it is leaving, the session staying for
	// another (wire.UserDetach); until a takeover brings a new one.
	left bool
}

var _ roam.App = (*server)(nil)

// Records is told of a session's life for the host's login records
// (*loginrec.Recorder). Its methods run on the server's loop and must not
// block, except Ended.
type Records interface {
	// Started: the program runs on the pty whose master pty duplicates
	// (close-on-exec; the callee closes it).
	Started(pty *os.File)
	// Connected: a client's state came from addr, a host other than the
	// last one recorded, or after Detached.
	Connected(addr net.Addr)
	// Detached: no client state for detachAfter.
	Detached()
	// Ended: the session is over; called once, before the program's
	// terminal is hung up.
	Ended()
}

// detachAfter is how long without a client's state before the records
// call the session unattached (mosh-server's 30 s). The client sends a
// state at least every few seconds (its heartbeat) while it is there.
const detachAfter = 30 * time.Second

// shutdownLinger is how long the server keeps answering after it acked the
// client's shutdown. mosh-server exits right after its first ack, so one
// lost datagram leaves the client to time out and report an unclean
// shutdown; while lingering the transport re-sends the ack every send
// interval (mosh's rule after a shutdown), and the client, once answered,
// is gone long before this ends.
const shutdownLinger = time.Second

// Serve runs a server session until the shell exits and the client has been
// told, the client asked to shut down, a timeout or a signal ends it, or ctx
// is cancelled. It never leaves the child running.
func Serve(ctx context.Context, cfg ServerConfig) error {
	return serve(ctx, cfg, startPty, osClock())
}

// serve is Serve with the program's start and the clock given (tests run
// the server's rules on a fake program and a fake clock).
func serve(ctx context.Context, cfg ServerConfig, start startProgram, clk clock) error {
	now := clk.now()
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tcfg := cfg.Transport
	if tcfg.LightDiff == 0 && !tcfg.StrictMoshPacing {
		tcfg.LightDiff = lightFrame
	}
	t, err := roam.NewTransport(roam.Server, cfg.Key, newComplete(cfg.Width, cfg.Height), newUserStream(), now, tcfg)
	if err != nil {
		return fmt.Errorf("starting the transport: %w", err)
	}
	if cfg.NoClientTimeout <= 0 {
		cfg.NoClientTimeout = defaultNoClientTimeout
	}
	s := &server{cfg: cfg, log: log, trace: newTracer(log), t: t, start: start, started: now, lastData: now, tcfg: tcfg}
	s.emu = term.NewEmulatorFor(t.Current().Framebuffer())
	defer s.stopChild()
	var events chan func(time.Time)
	if cfg.Control != nil {
		events = make(chan func(time.Time))
		done := make(chan struct{})
		defer close(done)
		go forwardControl(cfg.Control, events, done, s)
	}
	for {
		pump := &roam.Pump[*complete, *userStream]{Transport: s.t, Path: cfg.Path, App: s, Events: events, Now: clk.now, NewTimer: clk.newTimer, Logger: log}
		err = pump.Run(ctx)
		s.trace.flush()
		if !errors.Is(err, errTakeover) {
			break
		}
		key := *s.takeover
		s.takeover = nil
		if err = s.switchTransport(key, clk.now()); err != nil {
			break
		}
		s.log.Info("session taken over: new key")
	}
	if errors.Is(err, roam.ErrPathClosed) {
		return errors.New("the datagram path closed")
	}
	if err != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("session loop: %w", err)
	}
	return err
}

// Step implements roam.App: the echo acknowledgement's timer, and the end
// of the wait for the program's exit status.
func (s *server) Step(now time.Time) (bool, error) {
	if s.takeover != nil {
		return true, errTakeover
	}
	s.tickRetired(now)
	if s.killed {
		s.killed = false
		if s.signalled(now) {
			return true, nil
		}
	}
	if s.echo.update(now) {
		s.t.Current().SetEchoAck(s.echo.ack)
	}
	s.orphaned(now)
	s.recordDetach(now)
	s.drainHistory(now)
	s.awaitExitStatus(now)
	// History flows at most historyPerState lines (historyBytesPerState
	// bytes) ahead of what the client acknowledged; each acknowledgement
	// wakes the loop, so no timer is needed for the rest.
	s.t.Current().advanceHistory(s.t.Acked().HistoryNext())
	return false, nil
}

// Sent implements roam.App.
func (s *server) Sent(d []byte, err error, _ time.Time) {
	if err != nil {
		s.log.Debug("send", "err", err)
	}
	s.trace.mark(TraceSend, len(d))
}

// Sending implements roam.TracingApp for the keystroke trace.
func (s *server) Sending(d []byte) { s.trace.mark(TraceSealed, len(d)) }

// Arriving implements roam.TracingApp for the keystroke trace.
func (s *server) Arriving(d roam.Datagram) { s.trace.mark(TraceArrived, len(d.Data)) }

// Settle implements roam.App: mosh-server's exit rules, after the step's
// datagrams (a last ack among them) left.
func (s *server) Settle(now time.Time) (bool, error) { return s.finished(now) }

// Sources implements roam.App: the program's output, the signals, and the
// program's end while its exit status is awaited.
func (s *server) Sources() roam.Sources {
	src := roam.Sources{Feed: s.ptyOut, Signals: s.cfg.Signals}
	if s.prog != nil && !s.exitSeen {
		src.Exited = s.prog.Exited()
	}
	return src
}

// Handle implements roam.App.
func (s *server) Handle(ev roam.Event, now time.Time) (bool, error) {
	switch ev.Kind {
	case roam.EventInput:
		if ev.Closed {
			s.ptyOut = nil
			s.ptyClosed(now)
			return false, nil
		}
		s.trace.mark(TracePtyRead, len(ev.Bytes))
		s.lastOutput = now
		s.hostOutput(ev.Bytes, now)
	case roam.EventSignal:
		if ev.Signal == syscall.SIGUSR1 {
			s.sigUSR1 = true
		} else if s.signalled(now) {
			return true, nil
		}
	case roam.EventExited:
		// Step reads the status (awaitExitStatus), or ends a session
		// whose terminal outlives the program (orphaned).
		s.exitSeen = true
		if s.ptyOut != nil {
			s.progExited = now
		}
	}
	return false, nil
}

// NextWake implements roam.App: when a server rule may next apply if
// nothing arrives.
func (s *server) NextWake(now time.Time) time.Time {
	var poll, idle, linger, noClient, status time.Time
	if s.t.RemoteNum() == 0 || s.t.ShutdownInProgress() {
		poll = now.Add(5 * time.Second)
	}
	if s.cfg.NetworkTimeout > 0 {
		idle = s.lastData.Add(s.cfg.NetworkTimeout)
	}
	if !s.ackedShutdown.IsZero() {
		linger = s.ackedShutdown.Add(shutdownLinger)
	}
	if s.prog == nil && s.t.RemoteNum() == 0 {
		noClient = s.started.Add(s.cfg.NoClientTimeout)
	}
	if !s.ptyEOF.IsZero() {
		status = s.ptyEOF.Add(exitStatusWait)
	}
	if !s.histDrain.IsZero() {
		status = s.histDrain.Add(historyDrainWait)
	}
	var detach time.Time
	if s.recAttached {
		detach = s.lastData.Add(detachAfter)
	}
	return roam.Earliest(s.echo.next(), poll, idle, linger, noClient, status, detach, s.orphanWake(), s.retiredWake(now))
}

// finished applies mosh-server's exit rules after each step.
func (s *server) finished(now time.Time) (bool, error) {
	idle := now.Sub(s.lastData)
	idleShutdown := s.cfg.NetworkTimeout > 0 && idle >= s.cfg.NetworkTimeout
	if s.sigUSR1 {
		s.sigUSR1 = false
		if s.cfg.SignalTimeout == 0 || idle >= s.cfg.SignalTimeout {
			idleShutdown = true
		}
	}
	if idleShutdown {
		s.log.Info("network idle", "seconds", int(idle/time.Second))
		if s.signalled(now) {
			return true, nil
		}
	}
	switch {
	case s.t.ShutdownInProgress() && s.t.ShutdownAcknowledged():
		return true, nil
	case s.t.ShutdownInProgress() && s.t.ShutdownAckTimedOut(now):
		return true, nil
	case s.t.CounterpartyShutdownAckSent():
		if s.ackedShutdown.IsZero() {
			s.ackedShutdown = now
		}
		return now.Sub(s.ackedShutdown) >= shutdownLinger, nil
	case s.prog == nil && s.t.RemoteNum() == 0 && now.Sub(s.started) >= s.cfg.NoClientTimeout:
		return true, fmt.Errorf("no connection within %v", s.cfg.NoClientTimeout)
	}
	return false, nil
}

// signalled starts a shutdown, or reports that the server should just exit
// when there is no client to tell (mosh's rule).
func (s *server) signalled(now time.Time) bool {
	if !s.t.Attached() || s.t.ShutdownInProgress() {
		return true
	}
	s.t.StartShutdown(now)
	return false
}

// Received implements roam.App: it applies new user input (the Pump has
// fed the datagram to the transport and followed the client).
func (s *server) Received(dg roam.Datagram, _ roam.RecvInfo, now time.Time) {
	s.trace.mark(TraceRecv, len(dg.Data))
	s.lastContact = now
	if s.t.RemoteNum() == s.remote {
		return
	}
	s.remote = s.t.RemoteNum()
	s.lastData = now
	s.recordClient(dg.From)
	var us userStream
	if err := us.Apply(s.t.RemoteDiff()); err != nil {
		s.log.Debug("bad user diff", "err", err)
		return
	}
	s.ext.offered |= us.Features()
	if s.ext.offered&wire.FeatureScrollback != 0 {
		s.t.Current().enableHistory(s.emu, s.cfg.Scrollback)
	}
	s.applyUserEvents(us.Events(), now)
	if len(us.Events()) > 0 {
		s.echo.register(s.remote, now)
	}
	if !s.left && s.t.Remote().Detached() {
		s.clientLeft()
	}
	if s.prog == nil && !s.t.ShutdownInProgress() {
		if err := s.startChild(now); err != nil {
			// The user sees why on their screen, and the session ends.
			_, _ = s.emu.Write([]byte("\r\nmosh-server: " + err.Error() + "\r\n"))
			s.t.StartShutdown(now)
		}
	}
}

// applyUserEvents gives keystrokes to the application and resizes to the pty
// and the emulator. Of consecutive resizes only the last reaches the pty.
func (s *server) applyUserEvents(evs []userEvent, now time.Time) {
	var keys []byte
	flush := func() {
		if len(keys) > 0 {
			s.writePty(s.emu.TranslateKeys(keys), now)
			keys = keys[:0]
		}
	}
	for i, ev := range evs {
		if !ev.Resize {
			keys = append(keys, ev.Byte)
			continue
		}
		flush()
		w, h := saneSize(int(ev.Width), int(ev.Height))
		s.emu.Resize(w, h)
		if i+1 < len(evs) && evs[i+1].Resize {
			continue
		}
		if s.prog != nil {
			_ = s.prog.Resize(w, h)
		}
	}
	flush()
}

// hostOutput runs application output through the emulator and writes back
// the answers to its queries.
func (s *server) hostOutput(out []byte, now time.Time) {
	_, _ = s.emu.Write(out)
	if a := s.emu.TakeAnswers(); len(a) > 0 {
		s.writePty(a, now)
	}
}

// maxTypeahead bounds the keys held while no pty exists. They are only
// ever held between decoding the client's first state and starting the
// program in the same step, so the bound is for a hostile client, not a
// user: 64 KiB is sixteen times what a pty's own input queue holds (4 KiB
// on Linux, where a writer blocks until the program reads), far beyond
// anything typed while a session connects, and small for a server.
const maxTypeahead = 64 << 10

func (s *server) writePty(b []byte, now time.Time) {
	if len(b) == 0 {
		return
	}
	if s.prog == nil {
		if !s.t.ShutdownInProgress() {
			n := min(len(b), maxTypeahead-len(s.typeahead))
			if n < len(b) {
				s.log.Info("typeahead beyond the bound dropped", "bytes", len(b)-n)
			}
			s.typeahead = append(s.typeahead, b[:n]...)
		}
		return
	}
	s.trace.mark(TraceKeys, len(b))
	if _, err := s.prog.Write(b); err != nil && !s.t.ShutdownInProgress() {
		s.t.StartShutdown(now)
	}
	s.trace.mark(TracePtyWrite, len(b))
}

// startChild starts the application on a terminal of the emulator's size.
func (s *server) startChild(now time.Time) error {
	fb := s.emu.Framebuffer()
	if s.cfg.Motd {
		s.printMotd()
	}
	prog, err := s.start(&s.cfg, fb.Width(), fb.Height(), s.log)
	if err != nil {
		return err
	}
	s.prog = prog
	s.ptyOut = prog.Output()
	s.recordStart()
	// The program is not reading yet: the keys wait in the pty, echoed
	// by its line discipline, as they do behind mosh-server.
	ahead := s.typeahead
	s.typeahead = nil
	s.writePty(ahead, now)
	return nil
}

func (s *server) printMotd() {
	if s.cfg.Dir != "" {
		if _, err := os.Lstat(s.cfg.Dir + "/.hushlogin"); err == nil {
			return
		}
	}
	files := s.cfg.motdFiles
	if files == nil {
		files = motdFiles
	}
	for _, group := range files {
		for _, name := range group {
			if s.printFile(name) {
				break
			}
		}
	}
	if s.cfg.LoginNotice != nil {
		s.printText(s.cfg.LoginNotice())
	}
}

// printText writes text to the terminal as a program's output through the
// pty would arrive (each newline a CR LF).
func (s *server) printText(text string) {
	_, _ = s.emu.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
}

// motdFiles are what mosh-server prints as the motd, in order: the first
// file of each group that has anything. Ubuntu's pam_motd writes the
// dynamic motd at each SSH login (the one that started this server) and
// leaves /etc/motd empty.
var motdFiles = [][]string{{"/run/motd.dynamic", "/var/run/motd.dynamic"}, {"/etc/motd"}}

// printFile writes the file at name to the terminal, if it has anything.
func (s *server) printFile(name string) bool {
	b, err := os.ReadFile(name)
	if err != nil || len(b) == 0 {
		return false
	}
	s.printText(string(b))
	return true
}

// stopChild hangs up on the program (ptyProgram.Hangup says how), after
// the records let go of its terminal.
func (s *server) stopChild() {
	if s.cfg.Records != nil {
		s.cfg.Records.Ended()
	}
	if s.prog != nil {
		s.prog.Hangup()
	}
}

// masterDuper is a program whose terminal's master can be duplicated for
// the records (ptyProgram).
type masterDuper interface {
	DupMaster() (*os.File, error)
}

// recordStart gives the records the program's terminal. The client whose
// state started the program is recorded right after (recordClient ran
// before it, with no terminal yet).
func (s *server) recordStart() {
	if s.cfg.Records == nil {
		return
	}
	d, ok := s.prog.(masterDuper)
	if !ok {
		return
	}
	f, err := d.DupMaster()
	if err != nil {
		s.log.Debug("no utmp entry", "err", err)
		return
	}
	s.cfg.Records.Started(f)
	if s.recAttached {
		s.cfg.Records.Connected(s.recAddr)
	}
}

// recordClient records a client state's sender when it is a host the
// records do not name yet (mosh-server compares the whole address; a new
// port on the same host, the client's port hops, changes nothing there).
func (s *server) recordClient(from net.Addr) {
	if s.cfg.Records == nil || from == nil {
		return
	}
	if s.recAttached && sameHost(s.recAddr, from) {
		return
	}
	s.recAddr, s.recAttached = from, true
	if s.prog != nil {
		s.cfg.Records.Connected(from)
	}
}

// recordDetach records the session as unattached after detachAfter
// without a client's state.
func (s *server) recordDetach(now time.Time) {
	if now.Sub(s.lastData) >= detachAfter {
		s.recordUnattached()
	}
}

// recordUnattached tells the records no client is attached any more, once.
func (s *server) recordUnattached() {
	if !s.recAttached {
		return
	}
	s.recAttached = false
	if s.prog != nil {
		s.cfg.Records.Detached()
	}
}

// clientLeft: the client said it is leaving (its terminal closed), so the
// session counts as detached at once rather than after attachedWithin (a
// listing, --attach) or detachAfter (the login records).
func (s *server) clientLeft() {
	s.left = true
	s.t.Disassociate() // its heartbeats would go nowhere
	s.log.Info("client detached")
	s.recordUnattached()
}

// sameHost reports whether a and b are the same host (the port aside).
func sameHost(a, b net.Addr) bool {
	if a == b {
		return true
	}
	ua, ok1 := a.(*net.UDPAddr)
	ub, ok2 := b.(*net.UDPAddr)
	if ok1 && ok2 {
		return ua.IP.Equal(ub.IP)
	}
	return a.Network() == b.Network() && a.String() == b.String()
}
