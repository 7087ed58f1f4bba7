// Package sshmux is a client of OpenSSH's connection sharing: a master ssh
// (ControlMaster) listens on a unix socket (ControlPath), and a client asks
// it for a new session there, handing over the session's standard input,
// output and error (OpenSSH's PROTOCOL.mux, "passenger" mode, protocol
// version 4). The session then runs over the master's connection, already
// authenticated: no TCP connection, key exchange or authentication of its
// own, which is what makes `ssh host` through a master start at once.
//
// Only what a login needs is here: the hello exchange, the alive check and
// a session (Run). Every message from the master is decoded with bounds
// (readPacket, FuzzReadMessage): a master is another process of the same
// user, but its socket's path comes from a configuration file.
package sshmux

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Message types of PROTOCOL.mux.
const (
	msgHello             = 0x00000001
	msgNewSession        = 0x10000002
	msgAliveCheck        = 0x10000004
	msgPermissionDenied  = 0x80000002
	msgFailure           = 0x80000003
	msgExitMessage       = 0x80000004
	msgAlive             = 0x80000005
	msgSessionOpened     = 0x80000006
	msgTTYAllocFail      = 0x80000008
	protocolVersion      = 4
	noEscapeChar         = 0xffffffff
	maxPacket            = 256 << 10 // OpenSSH's mux client refuses more too
	defaultHelloDeadline = 5 * time.Second
)

// ErrNoMaster is returned by Dial when no master answers on the socket
// (none was started, or it has exited and left the socket behind): the
// caller then connects by itself, as ssh does.
var ErrNoMaster = errors.New("no master listening")

// Client is a connection to a master's control socket. One session at a
// time runs on it (Run); OpenSSH's client, too, opens one per session.
type Client struct {
	conn *net.UnixConn
	pid  int // the master's, from the alive check
	rid  uint32
}

// Dial connects to the master at path and exchanges hellos. A socket no
// process listens on is ErrNoMaster.
func Dial(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("%s: %w", path, ErrNoMaster)
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	cl := &Client{conn: c.(*net.UnixConn)}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(defaultHelloDeadline)
	}
	_ = cl.conn.SetDeadline(deadline)
	err = cl.hello()
	var pid int
	if err == nil {
		pid, err = cl.alive()
	}
	if err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("control socket %s does not answer as an ssh master: %w", path, plainErr(err))
	}
	cl.pid = pid
	_ = cl.conn.SetDeadline(time.Time{})
	return cl, nil
}

// PID is the master's process id.
func (c *Client) PID() int { return c.pid }

// Close closes the control connection; a session still running on it
// ends (the master closes its channel).
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) hello() error {
	if err := c.write(appendU32(appendU32(nil, msgHello), protocolVersion)); err != nil {
		return err
	}
	m, err := c.read()
	if err != nil {
		return err
	}
	typ, err := m.u32()
	if err != nil {
		return err
	}
	if typ != msgHello {
		return fmt.Errorf("master sent message %#x before its hello", typ)
	}
	v, err := m.u32()
	if err != nil {
		return err
	}
	if v != protocolVersion {
		return fmt.Errorf("master speaks multiplexing protocol %d, not %d", v, protocolVersion)
	}
	// Extensions (name, value pairs) follow; none is used.
	for len(m) > 0 {
		if _, err := m.str(); err != nil {
			return err
		}
		if _, err := m.str(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) alive() (int, error) {
	rid := c.nextID()
	if err := c.write(appendU32(appendU32(nil, msgAliveCheck), rid)); err != nil {
		return 0, err
	}
	m, err := c.read()
	if err != nil {
		return 0, err
	}
	if err := m.reply(msgAlive, rid); err != nil {
		return 0, err
	}
	pid, err := m.u32()
	if err != nil {
		return 0, err
	}
	return int(pid), nil
}

func (c *Client) nextID() uint32 {
	c.rid++
	return c.rid
}

// Session is one session's request.
type Session struct {
	// Command runs through the remote user's shell, as ssh's command
	// does; "" asks for the login shell.
	Command string
	// TTY asks for a terminal of type Term; the master takes its modes
	// and size from Stdin, which should then be a terminal.
	TTY  bool
	Term string
	// Env is NAME=value pairs to send (the server keeps what its
	// AcceptEnv allows).
	Env []string
	// Stdin, Stdout and Stderr are handed to the master, which reads and
	// writes them until the session ends.
	Stdin, Stdout, Stderr *os.File
}

// Run runs s on the master's connection and returns the remote command's
// exit status. A session the master ends without a status (the master's
// connection died) is an error, as is a refusal, with the master's words.
// Cancelling ctx closes the control connection, which ends the session.
func (c *Client) Run(ctx context.Context, s Session) (int, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	rid := c.nextID()
	b := appendU32(nil, msgNewSession)
	b = appendU32(b, rid)
	b = appendString(b, "") // reserved
	b = appendU32(b, boolU32(s.TTY))
	b = appendU32(b, 0) // X11
	b = appendU32(b, 0) // agent
	b = appendU32(b, 0) // subsystem
	b = appendU32(b, noEscapeChar)
	b = appendString(b, s.Term)
	b = appendString(b, s.Command)
	for _, kv := range s.Env {
		b = appendString(b, kv)
	}
	if err := c.write(b); err != nil {
		return 0, c.ctxErr(ctx, err)
	}
	for _, f := range []*os.File{s.Stdin, s.Stdout, s.Stderr} {
		if err := c.sendFD(f); err != nil {
			return 0, c.ctxErr(ctx, err)
		}
	}
	m, err := c.read()
	if err != nil {
		return 0, c.ctxErr(ctx, err)
	}
	if err := m.reply(msgSessionOpened, rid); err != nil {
		return 0, err
	}
	sid, err := m.u32()
	if err != nil {
		return 0, err
	}
	// The master may say the terminal was refused, then sends the exit
	// status and closes the connection.
	status, seen := 255, false
	for {
		m, err := c.read()
		if err != nil {
			if seen && errors.Is(err, io.EOF) {
				return status, nil
			}
			if !seen && errors.Is(err, io.EOF) {
				return 0, errors.New("the master's connection closed without the command's exit status")
			}
			return 0, c.ctxErr(ctx, err)
		}
		typ, err := m.u32()
		if err != nil {
			return 0, err
		}
		id, err := m.u32()
		if err != nil {
			return 0, err
		}
		switch typ {
		case msgTTYAllocFail:
		case msgExitMessage:
			if id != sid {
				return 0, fmt.Errorf("master sent the exit status of session %d, not %d", id, sid)
			}
			v, err := m.u32()
			if err != nil {
				return 0, err
			}
			status, seen = int(min(v, 255)), true
		default:
			return 0, fmt.Errorf("master sent unexpected message %#x", typ)
		}
	}
}

func (c *Client) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// sendFD passes f's descriptor with one byte, as OpenSSH's mm_send_fd.
func (c *Client) sendFD(f *os.File) error {
	raw, err := c.conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	werr := raw.Write(func(fd uintptr) bool {
		serr = syscall.Sendmsg(int(fd), []byte{0}, syscall.UnixRights(int(f.Fd())), nil, 0)
		return !errors.Is(serr, syscall.EAGAIN)
	})
	if werr != nil {
		return fmt.Errorf("passing a descriptor to the master: %w", werr)
	}
	if serr != nil {
		return fmt.Errorf("passing a descriptor to the master: %w", serr)
	}
	return nil
}

func (c *Client) write(payload []byte) error {
	b := appendU32(make([]byte, 0, 4+len(payload)), uint32(len(payload)))
	_, err := c.conn.Write(append(b, payload...))
	return err
}

func (c *Client) read() (msg, error) { return readPacket(c.conn) }

// readPacket reads one length-prefixed message, at most maxPacket long.
func readPacket(r io.Reader) (msg, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > maxPacket {
		return nil, fmt.Errorf("master sent a message of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return msg(b), nil
}

// msg is a message being decoded; each getter consumes a field.
type msg []byte

var errShort = errors.New("master sent a truncated message")

func (m *msg) u32() (uint32, error) {
	if len(*m) < 4 {
		return 0, errShort
	}
	v := binary.BigEndian.Uint32(*m)
	*m = (*m)[4:]
	return v, nil
}

func (m *msg) str() (string, error) {
	n, err := m.u32()
	if err != nil {
		return "", err
	}
	if uint32(len(*m)) < n {
		return "", errShort
	}
	s := string((*m)[:n])
	*m = (*m)[n:]
	return s, nil
}

// reply checks that m answers request rid with want; a refusal becomes an
// error with the master's reason.
func (m *msg) reply(want, rid uint32) error {
	typ, err := m.u32()
	if err != nil {
		return err
	}
	id, err := m.u32()
	if err != nil {
		return err
	}
	if id != rid {
		return fmt.Errorf("master answered request %d, not %d", id, rid)
	}
	switch typ {
	case want:
		return nil
	case msgPermissionDenied, msgFailure:
		reason, err := m.str()
		if err != nil {
			return err
		}
		what := "refused"
		if typ == msgFailure {
			what = "failed"
		}
		return fmt.Errorf("master %s the request: %s", what, printable(reason))
	}
	return fmt.Errorf("master sent unexpected message %#x", typ)
}

// plainErr words a failed exchange on the socket for the user: no reply in
// time, or the other end closed; anything else as it is.
func plainErr(err error) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return errors.New("no reply in time")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return errors.New("it closed the connection")
	}
	return err
}

// printable keeps a master's words to one line of printable text.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func appendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

func appendString(b []byte, s string) []byte { return append(appendU32(b, uint32(len(s))), s...) }

func boolU32(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}
