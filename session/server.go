package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

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
	Motd  bool // print /etc/motd first, unless ~/.hushlogin exists (as sshd and mosh do)

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

	Transport roam.Config
	Log       *slog.Logger
}

// server is the state of Serve's loop; one goroutine owns all of it.
type server struct {
	cfg   ServerConfig
	log   *slog.Logger
	trace tracer
	t     *roam.Transport[*complete, *userStream]
	emu   *term.Emulator
	echo  echoTracker
	ptmx  *os.File
	child *exec.Cmd
	// typeahead holds the keys that arrived before the pty existed (the
	// client's first state carries what the user typed while it
	// connected); startChild delivers them, in order, once it does.
	typeahead []byte
	ptyOut    chan []byte // nil until the child runs; closed at EOF
	remote    uint64      // newest client state applied
	started   time.Time
	lastData  time.Time // arrival of the newest client state
	// ackedShutdown is when we first told the client we got its shutdown
	// (zero before); the server lingers shutdownLinger after it.
	ackedShutdown time.Time
	// ext is what the client's extension offer changed (exitstatus.go).
	ext serverExtensions
}

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
	now := time.Now()
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
		return fmt.Errorf("session: %w", err)
	}
	if cfg.NoClientTimeout <= 0 {
		cfg.NoClientTimeout = defaultNoClientTimeout
	}
	s := &server{cfg: cfg, log: log, trace: newTracer(log), t: t, started: now, lastData: now}
	s.emu = term.NewEmulatorFor(t.Current().Framebuffer())
	defer s.stopChild()
	return s.loop(ctx)
}

func (s *server) loop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	incoming := s.cfg.Path.Incoming()
	var sigUSR1 bool
	for {
		now := time.Now()
		if s.echo.update(now) {
			s.t.Current().SetEchoAck(s.echo.ack)
		}
		out, err := s.t.Tick(now)
		if err != nil {
			return fmt.Errorf("session: %w", err)
		}
		for _, d := range out {
			if err := s.cfg.Path.Send(d); err != nil {
				s.log.Debug("send", "err", err)
			}
			s.trace.mark(TraceSend, len(d))
		}
		if done, err := s.finished(now, &sigUSR1); done {
			return err
		}
		timer.Reset(time.Until(s.wake(now)))

		select {
		case <-ctx.Done():
			return ctx.Err()
		case dg, ok := <-incoming:
			if !ok {
				return errors.New("session: the datagram path closed")
			}
			s.receive(dg, time.Now())
		case out, ok := <-s.ptyOut:
			if !ok {
				s.ptyOut = nil
				s.ptyClosed()
				continue
			}
			s.trace.mark(TracePtyRead, len(out))
			s.hostOutput(out)
		case sig := <-s.cfg.Signals:
			if sig == syscall.SIGUSR1 {
				sigUSR1 = true
			} else if s.signalled(time.Now()) {
				return nil
			}
		case <-timer.C:
		}
	}
}

// wake is when the loop must next run if nothing arrives.
func (s *server) wake(now time.Time) time.Time {
	next := s.t.NextWake(now)
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	earlier(s.echo.next())
	if s.t.RemoteNum() == 0 || s.t.ShutdownInProgress() {
		earlier(now.Add(5 * time.Second))
	}
	if s.cfg.NetworkTimeout > 0 {
		earlier(s.lastData.Add(s.cfg.NetworkTimeout))
	}
	if !s.ackedShutdown.IsZero() {
		earlier(s.ackedShutdown.Add(shutdownLinger))
	}
	if s.t.RemoteNum() == 0 {
		earlier(s.started.Add(s.cfg.NoClientTimeout))
	}
	if next.IsZero() || next.Before(now) {
		return now
	}
	return next
}

// finished applies mosh-server's exit rules after each step.
func (s *server) finished(now time.Time, sigUSR1 *bool) (bool, error) {
	idle := now.Sub(s.lastData)
	idleShutdown := s.cfg.NetworkTimeout > 0 && idle >= s.cfg.NetworkTimeout
	if *sigUSR1 {
		*sigUSR1 = false
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
	case s.t.RemoteNum() == 0 && now.Sub(s.started) >= s.cfg.NoClientTimeout:
		return true, fmt.Errorf("session: no connection within %v", s.cfg.NoClientTimeout)
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

// receive feeds one datagram to the transport and applies new user input.
func (s *server) receive(dg roam.Datagram, now time.Time) {
	info, err := s.t.Recv(dg.Data, now, dg.Congested)
	if err != nil {
		s.log.Debug("dropped datagram", "from", dg.From, "err", err)
		return
	}
	s.trace.mark(TraceRecv, len(dg.Data))
	if info.Newest {
		if s.cfg.Path.Roam(dg.From) {
			s.log.Info("server now attached to client", "addr", dg.From)
		}
	}
	if s.t.RemoteNum() == s.remote {
		return
	}
	s.remote = s.t.RemoteNum()
	s.lastData = now
	var us userStream
	if err := us.Apply(s.t.RemoteDiff()); err != nil {
		s.log.Debug("bad user diff", "err", err)
		return
	}
	s.ext.offered |= us.Features()
	s.applyUserEvents(us.Events())
	if len(us.Events()) > 0 {
		s.echo.register(s.remote, now)
	}
	if s.child == nil && !s.t.ShutdownInProgress() {
		if err := s.startChild(); err != nil {
			// The user sees why on their screen, and the session ends.
			_, _ = s.emu.Write([]byte("\r\nmosh-server: " + err.Error() + "\r\n"))
			s.t.StartShutdown(now)
		}
	}
}

// applyUserEvents gives keystrokes to the application and resizes to the pty
// and the emulator. Of consecutive resizes only the last reaches the pty.
func (s *server) applyUserEvents(evs []userEvent) {
	var keys []byte
	flush := func() {
		if len(keys) > 0 {
			s.writePty(s.emu.TranslateKeys(keys))
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
		if s.ptmx != nil {
			_ = setWinsize(s.ptmx, w, h)
		}
	}
	flush()
}

// hostOutput runs application output through the emulator and writes back
// the answers to its queries.
func (s *server) hostOutput(out []byte) {
	_, _ = s.emu.Write(out)
	if a := s.emu.TakeAnswers(); len(a) > 0 {
		s.writePty(a)
	}
}

// maxTypeahead bounds the keys held while no pty exists. They are only
// ever held between decoding the client's first state and starting the
// program in the same step, so the bound is for a hostile client, not a
// user: 64 KiB is sixteen times what a pty's own input queue holds (4 KiB
// on Linux, where a writer blocks until the program reads), far beyond
// anything typed while a session connects, and small for a server.
const maxTypeahead = 64 << 10

func (s *server) writePty(b []byte) {
	if len(b) == 0 {
		return
	}
	if s.ptmx == nil {
		if s.child == nil && !s.t.ShutdownInProgress() {
			n := min(len(b), maxTypeahead-len(s.typeahead))
			if n < len(b) {
				s.log.Info("typeahead beyond the bound dropped", "bytes", len(b)-n)
			}
			s.typeahead = append(s.typeahead, b[:n]...)
		}
		return
	}
	if _, err := s.ptmx.Write(b); err != nil && !s.t.ShutdownInProgress() {
		s.t.StartShutdown(time.Now())
	}
	s.trace.mark(TracePtyWrite, len(b))
}

// startChild starts the application on a new pty of the emulator's size.
func (s *server) startChild() error {
	fb := s.emu.Framebuffer()
	if s.cfg.Motd {
		s.printMotd()
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		return fmt.Errorf("opening a pty: %w", err)
	}
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(fb.Width()), Rows: uint16(fb.Height())}); err != nil {
		ptmx.Close()
		return fmt.Errorf("sizing the pty: %w", err)
	}
	// Best effort, as in mosh-server: a pty without IUTF8 still works.
	_ = setUTF8Erase(int(tty.Fd()))
	path := s.cfg.Path0
	if !strings.Contains(path, "/") {
		if p, err := lookPathIn(path, s.cfg.Env); err == nil {
			path = p
		}
	}
	cmd := &exec.Cmd{
		Path:   path,
		Args:   s.cfg.Argv,
		Env:    s.cfg.Env,
		Dir:    s.cfg.Dir,
		Stdin:  tty,
		Stdout: tty,
		Stderr: tty,
		SysProcAttr: &syscall.SysProcAttr{
			Setsid:  true,
			Setctty: true,
		},
	}
	if cmd.Dir != "" {
		if st, err := os.Stat(cmd.Dir); err != nil || !st.IsDir() {
			cmd.Dir = ""
		}
	}
	if err := cmd.Start(); err != nil {
		ptmx.Close()
		return fmt.Errorf("starting %s: %w", s.cfg.Path0, err)
	}
	if p, err := pollable(ptmx); err == nil {
		ptmx = p
	} else {
		// Still a working pty; only the hang-up waits for the program's
		// next output (see stopChild).
		s.log.Info("pty master stays blocking", "err", err)
	}
	s.ptmx, s.child = ptmx, cmd
	s.ext.child = watchChild(cmd)
	s.ptyOut = make(chan []byte, 4)
	go readPty(ptmx, s.ptyOut)
	// The program is not reading yet: the keys wait in the pty, echoed
	// by its line discipline, as they do behind mosh-server.
	ahead := s.typeahead
	s.typeahead = nil
	s.writePty(ahead)
	return nil
}

// pollable returns f as a non-blocking file owned by the runtime poller
// (f is closed). Closing such a file closes its descriptor at once; a
// goroutine blocked in read(2) on a blocking one would hold the master
// open, and the pty would not hang up until the program next wrote.
// creack/pty hands out blocking files (its ioctls go through Fd).
func pollable(f *os.File) (*os.File, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("pty master: %w", err)
	}
	fd := -1
	var dupErr error
	if err := sc.Control(func(raw uintptr) { fd, dupErr = unix.Dup(int(raw)) }); err != nil {
		return nil, fmt.Errorf("pty master: %w", err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("pty master: dup: %w", dupErr)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("pty master: %w", err)
	}
	name := f.Name()
	_ = f.Close()
	return os.NewFile(uintptr(fd), name), nil
}

// setWinsize sizes the pty without Fd, which would turn a poller-owned
// file back to blocking.
func setWinsize(f *os.File, w, h int) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	if err := sc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(w), Row: uint16(h)})
	}); err != nil {
		return err
	}
	return ioErr
}

// readPty forwards pty output until EOF or EIO (the child's side closed),
// then closes out. It ends when the loop closes the pty.
func readPty(r io.Reader, out chan<- []byte) {
	defer close(out)
	buf := make([]byte, 16384)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			out <- append([]byte(nil), buf[:n]...)
		}
		if err != nil {
			return
		}
	}
}

func (s *server) printMotd() {
	if s.cfg.Dir != "" {
		if _, err := os.Lstat(s.cfg.Dir + "/.hushlogin"); err == nil {
			return
		}
	}
	b, err := os.ReadFile("/etc/motd")
	if err != nil || len(b) == 0 {
		return
	}
	_, _ = s.emu.Write([]byte(strings.ReplaceAll(string(b), "\n", "\r\n")))
}

// stopChild hangs up, as sshd and mosh-server do when a session ends: it
// closes the pty master, and the kernel sends SIGHUP (and SIGCONT) to the
// program's session leader, then to its foreground job when that leader
// exits. Nothing is killed: an ordinary shell exits on the hang-up, and a
// program that catches SIGHUP to save its work gets to finish it, however
// long that takes. The program is reaped in the background when it ends
// (a daemon exits first, and its orphans go to init).
func (s *server) stopChild() {
	if s.child == nil {
		return
	}
	// ptmx is owned by the runtime poller (see pollable), so Close closes
	// the descriptor now, and the blocked read in readPty returns.
	_ = s.ptmx.Close()
	if s.ptyOut != nil {
		for range s.ptyOut {
		}
	}
	// watchChild owns the program's Wait and reaps it when it ends.
}

// lookPathIn finds name in the PATH of env.
func lookPathIn(name string, env []string) (string, error) {
	path := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			path = kv[5:]
		}
	}
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in PATH", name)
}
