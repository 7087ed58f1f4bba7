package sshcfg

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/internal/sshmux"
)

// MuxStarter starts mosh-server through a connection-sharing master (ssh's
// ControlMaster, listening on Config.ControlPath): the master's connection
// is already authenticated, so starting the session costs one round trip
// instead of a connection, a key exchange and authentication, as `ssh
// host` through the same master does.
type MuxStarter struct {
	Config *Config
	// IP is the address the master connected to, nil if unknown (the
	// server's side of SSH_CONNECTION is used then).
	IP net.IP
}

// DialMaster reports whether a master answers on c's ControlPath: nil if
// one does; an error wrapping sshmux.ErrNoMaster if none listens (the
// caller connects by itself, as ssh does); another error if something
// listens that does not answer as a master.
func DialMaster(ctx context.Context, c *Config) error {
	if c.ControlPath == "" {
		return fmt.Errorf("no ControlPath: %w", sshmux.ErrNoMaster)
	}
	m, err := sshmux.Dial(ctx, c.ControlPath)
	if err != nil {
		return err
	}
	return m.Close()
}

// StartServerVia is StartServer through a master (see MuxStarter).
func StartServerVia(ctx context.Context, m MuxStarter, req ServerRequest) (*ServerInfo, error) {
	return startServerLimited(ctx, m, req, startupLimit)
}

// KillServerVia is KillServer through a master.
func KillServerVia(m MuxStarter, info *ServerInfo) error { return killServer(m, info) }

func (m MuxStarter) config() *Config  { return m.Config }
func (m MuxStarter) remoteIP() net.IP { return m.IP }

// start runs command in a new session of the master on a terminal, as
// StartServer's own session does (ssh -t): mosh's server shows the motd
// and its reminder of detached sessions only when started on one. The
// terminal is a pty of ours whose other side we read; the master takes
// its modes and size from it. Closing the session early closes the control
// connection, which makes the master close the channel.
func (m MuxStarter) start(ctx context.Context, command, term string) (io.Reader, func(), error) {
	c, err := sshmux.Dial(ctx, m.Config.ControlPath)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", m.Config.Host, err)
	}
	ptm, tty, err := pty.Open()
	if err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("a terminal for the start-up: %w", err)
	}
	_ = pty.Setsize(ptm, &pty.Winsize{Rows: 24, Cols: 80})
	if term == "" {
		term = "xterm-256color"
	}
	ran := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, sshmux.Session{Command: command, TTY: true, Term: term, Env: sessionEnv(m.Config), Stdin: tty, Stdout: tty, Stderr: tty})
		// The master has its own copies: with ours closed, the
		// terminal ends when the session does.
		tty.Close()
		ran <- err
	}()
	closed := false
	return ptm, func() {
		if closed {
			return
		}
		closed = true
		c.Close()
		<-ran
		ptm.Close()
	}, nil
}

// output runs command to its end through the master; a non-zero exit
// status is an error.
func (m MuxStarter) output(ctx context.Context, command string) ([]byte, error) {
	var out, errOut bytes.Buffer // two writers: RunCommand copies each on its own goroutine
	status, err := m.RunCommand(ctx, command, &out, &errOut)
	if err == nil && status != 0 {
		err = fmt.Errorf("exit status %d", status)
	}
	return append(out.Bytes(), errOut.Bytes()...), err
}

// RunCommand runs command through the master without a terminal, its
// input /dev/null, and returns its exit status (RunCommand's for a master).
func (m MuxStarter) RunCommand(ctx context.Context, command string, stdout, stderr io.Writer) (int, error) {
	c, err := sshmux.Dial(ctx, m.Config.ControlPath)
	if err != nil {
		return exitConnectionError, fmt.Errorf("%s: %w", m.Config.Host, err)
	}
	defer c.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		return exitConnectionError, err
	}
	defer null.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return exitConnectionError, err
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return exitConnectionError, err
	}
	defer errR.Close()
	copied := make(chan struct{}, 2)
	for _, p := range []struct {
		r *os.File
		w io.Writer
	}{{outR, stdout}, {errR, stderr}} {
		go func() {
			_, _ = io.Copy(p.w, p.r)
			copied <- struct{}{}
		}()
	}
	status, err := c.Run(ctx, sshmux.Session{Command: command, Env: sessionEnv(m.Config), Stdin: null, Stdout: outW, Stderr: errW})
	// The master has its own copies: with ours closed, the pipes end with
	// the session.
	outW.Close()
	errW.Close()
	<-copied
	<-copied
	if err != nil {
		return exitConnectionError, fmt.Errorf("%s: %w", m.Config.Host, err)
	}
	return status, nil
}

// StartRelay is StartRelay through the master: the relay runs in a session
// on the master's connection, its input and output one end of a socket
// pair whose other end is the frame stream returned. Through a master the
// SSH datagram path needs no connection of ours either. (A master passes
// on no direct-streamlocal channel, which our mosh-server's unix socket
// would need: OpenSSH's stdio forwarding is TCP only, so the relay serves
// both servers here.) Closing the stream closes the control connection,
// which ends the session: the relay then exits.
func (m MuxStarter) StartRelay(ctx context.Context, req RelayRequest) (io.ReadWriteCloser, error) {
	host := m.Config.Host
	c, err := sshmux.Dial(ctx, m.Config.ControlPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", host, err)
	}
	ours, theirs, err := socketPair()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: a socket pair for the relay: %w", host, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		c.Close()
		ours.Close()
		theirs.Close()
		return nil, fmt.Errorf("%s: %w", host, err)
	}
	var stderr lockedWriter
	stderr.w = new(bytes.Buffer)
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&stderr, errR)
		errR.Close()
		close(copied)
	}()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_, _ = c.Run(context.Background(), sshmux.Session{Command: relayCommand(req), Stdin: theirs, Stdout: theirs, Stderr: errW})
		// The master had its own copies: with ours closed, the stream
		// and the error pipe end with the session.
		theirs.Close()
		errW.Close()
	}()
	conn, err := net.FileConn(ours)
	ours.Close() // FileConn made its own copy
	if err != nil {
		c.Close()
		<-ran
		return nil, fmt.Errorf("%s: the relay's stream: %w", host, err)
	}
	s := &muxRelayStream{Conn: conn, ctl: c, ran: ran}
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	r, err := datapath.SkipRelayPreamble(conn)
	stopped := stop()
	if err != nil || !stopped {
		_ = s.Close()
		select { // the remote's words, once the master let go of the pipe
		case <-copied:
		case <-time.After(time.Second):
		}
		return nil, relayStartError(ctx, host, req.Port, stderr.String(), err, stopped)
	}
	s.Reader = r
	return s, nil
}

// muxRelayStream is a relay's frame stream through a master.
type muxRelayStream struct {
	io.Reader // past the relay's greeting
	net.Conn
	ctl  *sshmux.Client
	ran  chan struct{} // closed when the master's session ended
	once sync.Once
}

func (s *muxRelayStream) Read(b []byte) (int, error) { return s.Reader.Read(b) }

// Close hangs up: the master closes the relay's channel, and the relay
// reads EOF and exits.
func (s *muxRelayStream) Close() error {
	var err error
	s.once.Do(func() {
		err = s.Conn.Close()
		_ = s.ctl.Close()
		<-s.ran
	})
	return err
}

// socketPair returns both ends of a connected unix stream socket pair,
// close-on-exec. SOCK_CLOEXEC is not on every system (macOS): the flag is
// set under ForkLock, as package os does, so that no child started
// meanwhile inherits them.
func socketPair() (a, b *os.File, err error) {
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "relay stream"), os.NewFile(uintptr(fds[1]), "relay stream (master's end)"), nil
}
