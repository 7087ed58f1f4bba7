package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
	"github.com/ssh-mosh/ssh-mosh/internal/proc"
	"github.com/ssh-mosh/ssh-mosh/internal/sshescape"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	mterm "github.com/ssh-mosh/ssh-mosh/term"
	"github.com/ssh-mosh/ssh-mosh/term/overlay"
)

// ClientPath is what the client loop needs of its datagram path.
// *roam.UDPClient implements it; Hop moves to a new local port.
type ClientPath interface {
	Incoming() <-chan roam.Datagram
	Send(b []byte) error
	Hop() error
}

// Client timings of mosh-client (stmclient.cc).
const (
	// connectingNoticeAfter is the silence before "Nothing received from server".
	connectingNoticeAfter = 250 * time.Millisecond
	// connectTimeout gives up on a server that never answered.
	connectTimeout = 15 * time.Second
)

// ClientConfig describes one client session on a terminal.
type ClientConfig struct {
	Path ClientPath
	Key  wire.Key
	// Port is the server's UDP port, for the "Nothing received" notice.
	Port int

	In  *os.File  // the user's terminal (raw mode is set and restored here)
	Out io.Writer // usually the same terminal
	// Term is $TERM: it decides title support and the like.
	Term             string
	Escape           EscapeKey
	TitleNoPrefix    bool // MOSH_TITLE_NOPREFIX
	NoTermInit       bool // MOSH_NO_TERM_INIT: no alternate screen
	Predict          overlay.DisplayPreference
	PredictOverwrite bool // MOSH_PREDICTION_OVERWRITE=yes

	// SSHEscape is OpenSSH's escape character (sshescape.None: off),
	// recognized at the start of a line beside Escape, for the habits of
	// ssh's users: "~." quits (with ssh's status 255), "~^Z" suspends,
	// "~?" shows them in the bar, "~~" sends one. mosh-client has none.
	SSHEscape int
	// DetachOnHangup: when the terminal goes away (SIGHUP, its input
	// closed) or the client is told to stop (SIGTERM), end at once
	// without mosh's shutdown handshake, so that the server keeps the
	// session for a later --attach (set only with our server, which
	// keeps it; mosh-client shuts the session down, as mosh's does).
	DetachOnHangup bool

	// Status, when set, is the session's state line (e.g. which datagram
	// path is in use, a re-dial), "" when there is nothing to say: a new
	// line shows in the bar for a few seconds, and again while contact is
	// being lost.
	Status func() string
	// StatusChanged, when set, says that Status may have a new text: the
	// bar is redrawn at once instead of at the next frame, which an idle
	// session may not draw for a long time.
	StatusChanged <-chan struct{}
	// Route, when set, names the route of the datagrams for the status the
	// user asks for (escape key, then statusKey); "" or nil means UDP to
	// Port.
	Route func() string
	// ServerVersion, when known, is shown in that status too.
	ServerVersion string

	// OnConnect, when set, runs once when the first server state arrives
	// (ssh-mosh then closes the SSH connection it kept for a fallback).
	OnConnect func()
	// Prompts carries questions to ask in the notification bar while the
	// session runs (see Prompt); may be nil.
	Prompts <-chan *Prompt

	// GiveUpAfter, when non-zero, ends the session with Connected false if
	// no server state arrived in that time, without mosh's 15 s wait and
	// shutdown attempts: the caller has a better plan (plain SSH).
	GiveUpAfter time.Duration

	// SSHMosh turns on what ssh-mosh does beyond mosh-client (see
	// lastscreen.go and exitstatus.go): the extension offer, so our server
	// sends the program's exit status, and the last screen left in the
	// terminal at the end. Off, the client behaves as mosh-client does.
	SSHMosh bool
	// Scrollback (with SSHMosh) offers the scrollback extension: the
	// server's history lines are written into the terminal's own
	// scrollback, and the client does not use the alternate screen
	// (history.go). 0 is off.
	Scrollback int

	Transport roam.Config
	Log       *slog.Logger
}

// ClientResult tells how a session ended.
type ClientResult struct {
	Connected bool // a server state ever arrived
	Clean     bool // the shutdown handshake completed
	// ServerEnded says the server started that shutdown (the program
	// ended, or the server was told to stop), not the user's quit.
	ServerEnded bool
	// Exited says the server sent the program's exit status, Exit (only
	// with SSHMosh, and only from our server).
	Exited bool
	Exit   wire.ExitStatus
	// SSHEscapeQuit says the user quit with ssh's escape ("~."), after
	// which ssh-mosh ends as ssh does (status 255).
	SSHEscapeQuit bool
	// Detached says the client left the session running on the server
	// (DetachOnHangup).
	Detached bool
}

// errNotTerminal means the client was started without a terminal.
var errNotTerminal = errors.New("standard input is not a terminal")

// RunClient runs the interactive client until the session ends. The user's
// terminal is restored on every way out, including a panic.
func RunClient(ctx context.Context, cfg ClientConfig) (res ClientResult, err error) {
	fd := int(cfg.In.Fd())
	if !term.IsTerminal(fd) {
		return res, errNotTerminal
	}
	if w, closeW := terminalWriter(cfg.Out); w != nil {
		cfg.Out = w
		defer closeW()
	}
	saved, err := term.MakeRaw(fd)
	if err != nil {
		return res, fmt.Errorf("cannot put the terminal in raw mode: %w", err)
	}
	display := mterm.DisplayForTerm(cfg.Term)
	// The client leaves the alternate screen once our server answers the
	// scrollback offer (history.go); from then on it is not used.
	var c *client
	noInit := func() bool { return cfg.NoTermInit || (c != nil && c.leftAlt) }
	restore := func() {
		_, _ = cfg.Out.Write(display.Close(noInit()))
		_ = term.Restore(fd, saved)
	}
	defer func() {
		if p := recover(); p != nil {
			restore()
			panic(p)
		}
	}()
	_, _ = cfg.Out.Write(display.Open(cfg.NoTermInit))

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGWINCH, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGCONT)
	defer signal.Stop(sigs)

	c, err = newClient(cfg, display, time.Now())
	if err != nil {
		restore()
		return res, err
	}
	input, err := newInputReader(cfg.In)
	if err != nil {
		restore()
		return res, err
	}
	// Stop the reader before the terminal goes back to the caller: a
	// fallback shell must get every keystroke typed after we return.
	defer input.stop()
	stdin := input.out

	res, err = c.run(ctx, stdin, sigs, func() { restore() }, func() error {
		if _, err := term.MakeRaw(fd); err != nil {
			return err
		}
		_, _ = cfg.Out.Write(display.Open(noInit()))
		return nil
	}, osClock())
	c.finalFrame()
	res.Exit, res.Exited = c.t.Remote().ExitStatus()
	if cfg.SSHMosh {
		_, _ = cfg.Out.Write(leaveKeepingScreen(display, noInit(), c.t.Remote().Framebuffer()))
		_ = term.Restore(fd, saved)
		return res, err
	}
	restore()
	return res, err
}

type client struct {
	cfg     ClientConfig
	log     *slog.Logger
	trace   *tracer
	t       *roam.Transport[*userStream, *complete]
	display mterm.Display
	local   *mterm.Framebuffer // what the real terminal shows now
	notes   *overlay.Notifications
	predict *overlay.Prediction
	escape  escapeFilter
	repaint bool
	// leavingSince is when the client started to detach (detach);
	// leftSent, that a datagram carrying its word went out since.
	leavingSince time.Time
	leftSent     bool
	width        int
	height       int
	started      time.Time
	connMsg      string
	// prompt is the question being answered in the bar (nil: none); typed
	// bytes go to it instead of the session.
	prompt *promptState

	// The loop's sources and results (run).
	stdin   *roam.Feed // nil once closed
	sigs    <-chan os.Signal
	suspend func()
	resume  func() error
	sendErr bool // a datagram of this wake-up failed to leave
	res     ClientResult
	// termSize reads the user's terminal size (term.GetSize on In; tests
	// give another).
	termSize func() (w, h int, err error)
	// hist receives the server's history lines (nil: scrollback off).
	hist *historySink
	// leftAlt: the server answered the scrollback offer and the client
	// left the alternate screen for good.
	leftAlt bool
	// histAcked is the history count of the newest state acknowledged at
	// once (Received).
	histAcked uint64
}

var _ roam.App = (*client)(nil)

func newClient(cfg ClientConfig, display mterm.Display, now time.Time) (*client, error) {
	termSize := func() (int, int, error) { return term.GetSize(int(cfg.In.Fd())) }
	w, h, err := termSize()
	if err != nil || w <= 0 || h <= 0 {
		w, h = 80, 24
	}
	t, err := roam.NewTransport(roam.Client, cfg.Key, newUserStream(), newComplete(w, h), now, cfg.Transport)
	if err != nil {
		return nil, fmt.Errorf("starting the transport: %w", err)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &client{
		cfg: cfg, log: log, trace: newTracer(log), t: t, display: display,
		local:   mterm.NewFramebuffer(w, h),
		notes:   overlay.NewNotifications(now, cfg.Escape.Name),
		predict: overlay.NewPrediction(cfg.Predict, cfg.PredictOverwrite),
		escape:  newEscapeFilter(cfg.Escape, cfg.SSHEscape),
		width:   w, height: h, started: now, termSize: termSize,
		connMsg: fmt.Sprintf("Nothing received from server on UDP port %d.", cfg.Port),
	}
	_, _ = cfg.Out.Write(display.NewFrame(false, c.local, c.local))
	if cfg.SSHMosh {
		t.Current().Offer(clientFeatures)
		if cfg.Scrollback > 0 {
			t.Current().Offer(wire.FeatureScrollback)
			c.hist = new(historySink)
			t.Remote().receiveHistory(c.hist)
		}
	}
	t.Current().PushResize(w, h)
	return c, nil
}

func (c *client) stillConnecting() bool { return c.t.RemoteNum() == 0 }

// frame draws the server's screen plus overlays, as a diff against what the
// terminal shows.
func (c *client) frame(now time.Time) {
	next := c.t.Remote().Framebuffer().Clone()
	c.predict.Apply(next, now)
	c.showStatus()
	c.notes.Apply(next, now)
	if !c.cfg.TitleNoPrefix {
		overlay.PrefixTitle(next, "[mosh] ")
	}
	var out []byte
	if c.hist != nil {
		if c.hist.answered && !c.leftAlt && !c.cfg.NoTermInit {
			out, c.local = appendLeaveAltScreen(out, c.local)
			c.leftAlt = true
		}
		if c.leftAlt && (c.repaint || next.Width() != c.local.Width() || next.Height() != c.local.Height()) {
			// The display would clear the screen, which some terminals
			// push into their scrollback: erase it row by row instead.
			out, c.local = appendEraseFor(out, c.local, next)
			c.repaint = false
		}
		// Once history is written into the terminal's scrollback, the
		// display must not push rows there itself.
		c.display.Scrollback = c.hist.answered
		if entries := c.hist.Take(); len(entries) > 0 {
			out, c.local = appendHistoryOut(out, entries, c.local)
		}
	}
	out = c.display.AppendNewFrame(out, !c.repaint, c.local, next)
	c.repaint = false
	if len(out) > 0 {
		c.trace.mark(TraceFramed, len(out))
		_, _ = c.cfg.Out.Write(out)
		c.trace.mark(TraceDraw, len(out))
	}
	c.local = next
}

// showStatus passes the Status text to the bar, which shows a new one for
// a few seconds and then gives row 0 back (overlay.Notifications.SetStatus).
func (c *client) showStatus() {
	c.notes.SetStatus(c.status())
}

func (c *client) status() string {
	if c.cfg.Status == nil {
		return ""
	}
	return c.cfg.Status()
}

// finalFrame redraws without notification or title prefix before the
// terminal is handed back, as mosh's STMClient::shutdown does.
func (c *client) finalFrame() {
	now := time.Now()
	c.notes = overlay.NewNotifications(now, "")
	c.cfg.TitleNoPrefix = true
	c.cfg.Status = nil
	c.frame(now)
}

// run runs the session on a roam.Pump until it ends. The prompts and
// status changes that arrive meanwhile reach the loop as events; a prompt
// still on its way when the session ends is cancelled.
func (c *client) run(ctx context.Context, stdin *roam.Feed, sigs <-chan os.Signal, suspend func(), resume func() error,
	clk clock) (ClientResult, error) {
	c.stdin, c.sigs, c.suspend, c.resume = stdin, sigs, suspend, resume
	events := make(chan func(time.Time))
	stop := make(chan struct{})
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for {
			select {
			case <-stop:
				return
			case p := <-c.cfg.Prompts:
				select {
				case events <- func(now time.Time) { c.openPrompt(p, now) }:
				case <-stop:
					p.Reply <- PromptAnswer{Err: errPromptCancelled}
					return
				}
			case <-c.cfg.StatusChanged:
				select {
				case events <- c.frame:
				case <-stop:
					return
				}
			}
		}
	}()
	defer func() {
		close(stop)
		<-forwarded
		if c.prompt != nil {
			c.prompt.cancel()
		}
	}()
	pump := &roam.Pump[*userStream, *complete]{Transport: c.t, Path: c.cfg.Path, App: c, Events: events, Now: clk.now, NewTimer: clk.newTimer, Logger: c.log}
	err := pump.Run(ctx)
	c.trace.flush()
	switch {
	case err == nil, errors.Is(err, ctx.Err()):
	case errors.Is(err, roam.ErrPathClosed):
		err = errors.New("the datagram path closed")
	default:
		err = fmt.Errorf("session loop: %w", err)
	}
	return c.res, err
}

// openPrompt puts a new question in the bar (an open one is cancelled).
func (c *client) openPrompt(p *Prompt, now time.Time) {
	if c.prompt != nil {
		c.prompt.cancel()
	}
	c.prompt = &promptState{p: p}
	c.showPrompt(now)
}

// Step implements roam.App: mosh-client's exit rules (stmclient.cc) and
// the connecting notices, before the transport ticks.
func (c *client) Step(now time.Time) (bool, error) {
	switch {
	case c.t.ShutdownInProgress() && c.t.ShutdownAcknowledged():
		c.res.Clean = true
		return true, nil
	case c.t.ShutdownInProgress() && c.t.ShutdownAckTimedOut(now):
		return true, nil
	case c.t.CounterpartyShutdownAckSent():
		c.res.Clean, c.res.ServerEnded = true, true
		return true, nil
	}
	if c.stillConnecting() && c.cfg.GiveUpAfter > 0 && now.Sub(c.started) >= c.cfg.GiveUpAfter {
		return true, nil
	}
	if c.stillConnecting() && !c.t.ShutdownInProgress() && now.Sub(c.started) >= connectingNoticeAfter {
		if now.Sub(c.started) >= connectTimeout {
			c.notes.SetMessage("Timed out waiting for server...", true, true, now)
			c.t.StartShutdown(now)
		} else {
			c.notes.SetMessage(c.connMsg, true, true, now)
		}
	} else if !c.stillConnecting() && c.notes.Message() == c.connMsg {
		c.notes.SetMessage("", false, true, now)
	}
	c.sendErr = false
	return false, nil
}

// Sent implements roam.App: a failed send shows in the bar as mosh's does.
func (c *client) Sent(d []byte, err error, now time.Time) {
	if c.res.Detached && err == nil {
		c.leftSent = true // every datagram after Detach carries it
	}
	if err != nil {
		// A question in the bar (a re-dial's passphrase) stays: sends
		// fail while the connection it is for is down, and replacing it
		// would hide what the typed keys answer.
		if c.prompt == nil {
			c.notes.SetNetworkError("sendto: "+unwrapSyscall(err), now)
		}
		c.sendErr = true
	}
	c.trace.mark(TraceSend, len(d))
}

// Sending implements roam.TracingApp for the keystroke trace.
func (c *client) Sending(d []byte) { c.trace.mark(TraceSealed, len(d)) }

// Arriving implements roam.TracingApp for the keystroke trace.
func (c *client) Arriving(d roam.Datagram) { c.trace.mark(TraceArrived, len(d.Data)) }

// Settle implements roam.App. Drawing comes after sending, as mosh's loop
// does (tick, then output_new_frame): a keystroke leaves before the screen
// diff is computed.
func (c *client) Settle(now time.Time) (bool, error) {
	if c.res.Detached {
		return c.leaving(now), nil // no terminal to draw on
	}
	if !c.sendErr {
		c.notes.ClearNetworkError(now)
	}
	c.frame(now)
	return false, nil
}

// NextWake implements roam.App: the bar's and the predictions' timers, and
// while connecting the notice, the timeout and the give-up time.
func (c *client) NextWake(now time.Time) time.Time {
	var notice, giveUp time.Time
	if c.stillConnecting() {
		// The next connecting rule due: the notice, then the timeout.
		switch since := now.Sub(c.started); {
		case since < connectingNoticeAfter:
			notice = c.started.Add(connectingNoticeAfter)
		case since < connectTimeout:
			notice = c.started.Add(connectTimeout)
		}
		if c.cfg.GiveUpAfter > 0 {
			giveUp = c.started.Add(c.cfg.GiveUpAfter)
		}
	}
	var leave time.Time
	if c.res.Detached {
		leave = c.leavingSince.Add(leaveWait)
	}
	return roam.Earliest(c.notes.NextWake(now), c.predict.NextWake(now), notice, giveUp, leave)
}

// Sources implements roam.App: typed bytes and signals.
func (c *client) Sources() roam.Sources {
	return roam.Sources{Feed: c.stdin, Signals: c.sigs}
}

// Handle implements roam.App.
func (c *client) Handle(ev roam.Event, now time.Time) (bool, error) {
	switch ev.Kind {
	case roam.EventInput:
		if ev.Closed {
			c.stdin = nil
			if c.detach(now) {
				return false, nil
			}
			return c.quit("Exiting...", now), nil
		}
		c.trace.mark(TraceStdin, len(ev.Bytes))
		return c.userInput(ev.Bytes, now, c.suspend, c.resume), nil
	case roam.EventSignal:
		switch ev.Signal {
		case syscall.SIGWINCH:
			c.resize()
		case syscall.SIGCONT:
			c.repaint = true
		case syscall.SIGHUP, syscall.SIGTERM:
			if c.detach(now) {
				return false, nil
			}
			return c.quit("Signal received, shutting down...", now), nil
		default:
			return c.quit("Signal received, shutting down...", now), nil
		}
	}
	return false, nil
}

// quit ends the session as mosh-client does at the end of its input or on
// a signal: at once when no server was ever reached (done), otherwise by
// the shutdown handshake, with why in the bar.
func (c *client) quit(why string, now time.Time) (done bool) {
	if !c.t.Attached() {
		return true
	}
	if !c.t.ShutdownInProgress() {
		c.notes.SetMessage(why, true, true, now)
		c.t.StartShutdown(now)
	}
	return false
}

// detach reports whether the client leaves the session to the server
// (DetachOnHangup) rather than shutting it down: only a session the
// server reached and that is not already being shut down. It tells the
// server it leaves (wire.UserDetach; DetachOnHangup is set only for our
// mosh-server), and the loop ends once that state went out (leaving).
func (c *client) detach(now time.Time) bool {
	if c.res.Detached {
		return true
	}
	if !c.cfg.DetachOnHangup || !c.res.Connected || c.t.ShutdownInProgress() {
		return false
	}
	c.res.Detached = true
	c.t.Current().Detach()
	c.leavingSince = now
	return true
}

// leaveWait bounds how long a detaching client waits for its last state
// to go out (the transport's pacing may hold it a send interval); the
// terminal is gone, and the server learns the rest from the silence.
const leaveWait = time.Second

// leaving reports, while the client detaches, whether it is done: its
// word went out, or leaveWait passed.
func (c *client) leaving(now time.Time) bool {
	return c.leftSent || now.Sub(c.leavingSince) >= leaveWait
}

// Received implements roam.App: what a new datagram tells the bar and the
// predictions (the Pump has fed it to the transport and told the path).
func (c *client) Received(dg roam.Datagram, info roam.RecvInfo, now time.Time) {
	c.trace.mark(TraceRecv, len(dg.Data))
	if info.NewState && c.hist != nil {
		// Our server sends the next lines of history once this state
		// is acknowledged: acknowledge it now, not after AckDelay.
		if n := c.t.Remote().HistoryNext(); n > c.histAcked {
			c.histAcked = n
			c.t.AckNow(now)
		}
	}
	c.notes.ServerHeard(c.t.LastHeard())
	c.notes.ServerAcked(c.t.AckedSentAt())
	c.predict.SetLocalFrameAcked(c.t.AckedNum())
	c.predict.SetSendInterval(c.t.SendInterval())
	c.predict.SetLocalFrameLateAcked(c.t.Remote().EchoAck())
	if c.t.RemoteNum() != 0 && !c.res.Connected {
		c.res.Connected = true
		if c.cfg.OnConnect != nil {
			c.cfg.OnConnect()
		}
	}
}

// userInput handles typed bytes; it reports whether the client should quit
// at once (escape-quit before the server was ever reached).
func (c *client) userInput(b []byte, now time.Time, suspend func(), resume func() error) bool {
	if c.t.ShutdownInProgress() {
		return false
	}
	c.predict.SetLocalFrameSent(c.t.SentNum())
	us := c.t.Current()
	// A read of more than 100 bytes is a paste: mosh clears its predictions
	// and guesses nothing about it.
	paste := len(b) > 100
	if paste {
		c.predict.Reset()
	}
	var out []byte
	for _, ch := range b {
		held := c.escape.ssh.Pending()
		var act escapeAction
		if c.prompt != nil && !held {
			// A question in the bar (a re-dial's password) takes
			// what is typed; ssh's escapes are for the session (a
			// password may start with "~."), mosh's key still works.
			out, act = c.escape.moshKey(ch, out[:0])
		} else {
			out, act = c.escape.feed(ch, out[:0])
		}
		if !paste && c.prompt == nil {
			switch {
			case act == escHeld:
				// ssh's escape character at a line's start: nothing
				// to show until the next byte says what it was.
			case held:
				// The escape is over: predict what it sends.
				for _, k := range out {
					c.predict.NewUserByte(k, c.local, now)
				}
			default:
				c.predict.NewUserByte(ch, c.local, now)
			}
		}
		switch act {
		case escHeld:
			continue
		case escStart:
			c.notes.SetMessage(c.cfg.Escape.Help, true, false, now)
			continue
		case escSSHHelp:
			c.notes.SetMessageFor(sshescape.HelpText(c.cfg.SSHEscape, c.cfg.Escape.Name), overlay.StatusNotice, false, now)
			continue
		case escQuit, escQuitSSH:
			c.res.SSHEscapeQuit = act == escQuitSSH
			if c.t.Attached() {
				c.notes.SetMessage("Exiting on user request...", true, true, now)
				c.t.StartShutdown(now)
				return false
			}
			return true
		case escSuspend:
			suspend()
			_, _ = io.WriteString(c.cfg.Out, "\n\033[37;44m[mosh is suspended.]\033[m\n")
			proc.SuspendGroup()
			_ = resume()
			c.local = mterm.NewFramebuffer(c.width, c.height)
			c.repaint = true
			// The escape sequence is over: as after any other second
			// byte, the help must not come back with the session.
			if c.notes.Message() == c.cfg.Escape.Help {
				c.notes.SetMessage("", false, true, now)
			}
		case escFinished:
			if c.notes.Message() == c.cfg.Escape.Help {
				c.notes.SetMessage("", false, true, now)
			}
		case escRepaint:
			c.repaint = true
		case escStatus:
			c.notes.SetMessageFor(c.statusReport(now), overlay.StatusNotice, false, now)
			continue
		}
		if len(out) > 0 {
			// A key for the session ends a route notice: the user is
			// back at work and row 0 belongs to the application.
			c.notes.DismissStatus()
		}
		if c.prompt != nil {
			// An open prompt takes the keys (the escape key still works).
			for _, k := range out {
				if c.prompt != nil && c.prompt.feed(k) {
					c.prompt = nil
					c.notes.SetMessage("", false, true, now)
				}
			}
			if c.prompt != nil && c.notes.Message() != c.cfg.Escape.Help {
				c.showPrompt(now)
			}
			continue
		}
		us.PushKeys(out)
	}
	return false
}

// statusReport is what the status key shows: the route, the smoothed
// round-trip time, the server and the last contact.
func (c *client) statusReport(now time.Time) string {
	route := ""
	if c.cfg.Route != nil {
		route = c.cfg.Route()
	}
	if route == "" {
		route = fmt.Sprintf("UDP port %d", c.cfg.Port)
	}
	server := c.cfg.ServerVersion
	if server == "" {
		server = "unknown"
	}
	contact := "none yet"
	if !c.stillConnecting() {
		contact = fmt.Sprintf("%ds ago", int(now.Sub(c.t.LastHeard())/time.Second))
	}
	return fmt.Sprintf("%s, RTT %s, last contact %s, server %s.", route, roundRTT(c.t.SRTT()), contact, server)
}

// roundRTT prints a round-trip time to a useful precision.
func roundRTT(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(10 * time.Microsecond)
}

// resize follows the user's terminal to its new size (SIGWINCH).
func (c *client) resize() {
	w, h, err := c.termSize()
	if err != nil || w <= 0 || h <= 0 {
		return
	}
	c.width, c.height = w, h
	if !c.t.ShutdownInProgress() {
		c.t.Current().PushResize(w, h)
	}
	c.predict.Reset()
}

func unwrapSyscall(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// terminalWriter is out reopened for nbio when out is a terminal that can
// be (pollableTerminal): a frame then reaches the terminal without a
// scheduler hand-off. nil when out stays as it is.
func terminalWriter(out io.Writer) (io.Writer, func()) {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, nil
	}
	pf := pollableTerminal(f, unix.O_WRONLY)
	if pf == nil {
		return nil, nil
	}
	w, err := nbio.TakeFile(pf)
	if err != nil {
		_ = pf.Close()
		return nil, nil
	}
	return w, func() { _ = w.Close() }
}
