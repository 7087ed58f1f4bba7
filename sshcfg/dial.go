package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/vis"
	"golang.org/x/crypto/ssh"
)

// Conn is an authenticated SSH connection to a destination, through its
// whole ProxyJump chain. It remembers what a later Redial needs: the chain,
// the host keys accepted at each hop (pinned), and the keys that were
// loaded (so no passphrase is asked again).
type Conn struct {
	// Client is the SSH client of the destination (the last hop).
	Client *ssh.Client
	// Config is the destination's resolved configuration.
	Config *Config
	// RemoteIP is the destination's IP address as this machine reaches it,
	// for the UDP session: the TCP peer of a direct connection, otherwise
	// HostName resolved locally. Nil when neither is known (StartServer
	// then uses the address sshd reports).
	RemoteIP net.IP

	// HostKeyChanged says the host key had changed and StrictHostKeyChecking
	// no let the login go on, as ssh does: Config then has password and
	// keyboard-interactive authentication off, and the caller must not
	// forward ports or the agent (OpenSSH's "disabled to avoid
	// man-in-the-middle attacks").
	HostKeyChanged bool

	hops []*hop
	once sync.Once
}

// hop is one SSH connection of the chain.
type hop struct {
	cfg     *Config
	client  *ssh.Client
	hostKey ssh.PublicKey
	signers []ssh.Signer
}

// DialError is a failure to reach or log into a host. Its message is
// OpenSSH's for the same event, so users can search for it: "connect to host
// H port P: Connection refused", "Could not resolve hostname H: …",
// "U@H: Permission denied (publickey,password).", "Host key verification
// failed.".
type DialError struct {
	Host   string
	Port   int
	User   string
	Reason string   // connection refused, permission denied, ... (short, for the notification bar)
	Tried  []string // authentication attempts, for permission denied
	Err    error
	// Quiet is set under LogLevel QUIET (or -q), where ssh prints
	// nothing at all about the failure; the exit status still says it.
	Quiet bool
}

func (e *DialError) Error() string {
	if ne := (*NegotiationError)(nil); errors.As(e.Err, &ne) {
		return ne.Error() // OpenSSH's wording, which names the peer itself
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(e.Err, ErrHostKeyChanged) || errors.Is(e.Err, ErrHostKeyUnknown):
		return "Host key verification failed: " + e.Reason
	case errors.Is(e.Err, ErrPermissionDenied):
		msg := fmt.Sprintf("%s@%s: Permission denied (%s).", e.User, e.Host, strings.Join(e.methods(), ","))
		if len(e.Tried) > 0 {
			msg += " Tried: " + strings.Join(e.Tried, ", ")
		}
		return msg
	case errors.As(e.Err, &dnsErr):
		return e.Reason
	case errors.As(e.Err, new(*PeerClosedError)):
		return e.Reason
	case errors.Is(e.Err, ErrBannerTimeout):
		// ssh: "Connection timed out during banner exchange" and
		// "Connection to HOST port N timed out".
		return fmt.Sprintf("Connection to %s port %d timed out during banner exchange", e.Host, e.Port)
	}
	return fmt.Sprintf("connect to host %s port %d: %s", e.Host, e.Port, e.Reason)
}

// methods are the authentication methods tried, in OpenSSH's names.
func (e *DialError) methods() []string {
	var out []string
	for _, t := range e.Tried {
		m := "publickey" // every other entry names a key
		if t == "password" || t == "keyboard-interactive" {
			m = t
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		out = []string{"publickey"}
	}
	return out
}

func (e *DialError) Unwrap() error { return e.Err }

// ErrPermissionDenied is wrapped by DialError when no auth method worked.
var ErrPermissionDenied = errors.New("permission denied")

// PeerClosedError is a server that ended the connection during the
// handshake: before its banner (not an SSH server, or an sshd turning the
// connection away: MaxStartups, hosts.deny), or in the key exchange.
type PeerClosedError struct {
	Peer       string // "IP port N", as ssh names it
	Identified bool   // the server's banner had arrived
	Reset      bool   // reset, not closed
	Err        error
}

func (e *PeerClosedError) Error() string {
	how := "closed"
	if e.Reset {
		how = "reset"
	}
	if !e.Identified {
		what := "Connection closed by remote host"
		if e.Reset {
			what = "read: Connection reset by peer"
		}
		return fmt.Sprintf("kex_exchange_identification: %s (%s: not an SSH server, or sshd refused the connection)", what, e.Peer)
	}
	return fmt.Sprintf("Connection %s by %s in the key exchange (see the server's log)", how, e.Peer)
}

func (e *PeerClosedError) Unwrap() error { return e.Err }

// closedByPeer reports whether err is the other end closing or resetting
// the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) // x/crypto closed it on a failed write
}

// ErrBannerTimeout is a server that took the connection but sent no SSH
// banner within ConnectTimeout (a tarpit, a stuck sshd, a middlebox).
var ErrBannerTimeout = errors.New("timed out during banner exchange")

// Dial connects to c (through c.Chain()), authenticating as OpenSSH would
// and asking ui for passphrases, passwords and unknown host keys.
func Dial(ctx context.Context, c *Config, ui Prompter) (*Conn, error) {
	if ui == nil {
		ui = FuncPrompter{}
	}
	return dialChain(ctx, c, ui, nil)
}

// Redial connects again to the same destination through the same chain,
// accepting only the host keys seen by the first Dial and using only keys
// (agent or already loaded): it never prompts.
func (c *Conn) Redial(ctx context.Context) (*Conn, error) {
	return dialChain(ctx, c.Config, nil, c.hops)
}

// RedialWith is Redial that may ask ui for what the keys already loaded
// cannot cover: the passphrase of a key file (say, the agent that held the
// key is gone) or a password. Host keys stay pinned; nothing is asked about
// them.
func (c *Conn) RedialWith(ctx context.Context, ui Prompter) (*Conn, error) {
	return dialChain(ctx, c.Config, ui, c.hops)
}

// HostKeys returns the host key accepted at each hop, first hop first.
func (c *Conn) HostKeys() []ssh.PublicKey {
	var out []ssh.PublicKey
	for _, h := range c.hops {
		out = append(out, h.hostKey)
	}
	return out
}

// Close closes every connection of the chain, destination first. It is
// safe to call more than once.
func (c *Conn) Close() error {
	var err error
	c.once.Do(func() {
		for i := len(c.hops) - 1; i >= 0; i-- {
			if e := c.hops[i].client.Close(); e != nil && err == nil && !errors.Is(e, net.ErrClosed) {
				err = e
			}
		}
	})
	return err
}

// dialChain dials every hop; pinned (from an earlier Conn) switches to
// redial mode.
func dialChain(ctx context.Context, c *Config, ui Prompter, pinned []*hop) (*Conn, error) {
	chain := c.Chain()
	if pinned != nil && len(pinned) != len(chain) {
		return nil, fmt.Errorf("redial: chain changed")
	}
	conn := &Conn{Config: c}
	var prev *ssh.Client
	for i, hc := range chain {
		var pin *hop
		if pinned != nil {
			pin = pinned[i]
		}
		nc, err := dialTransport(ctx, hc, prev)
		if err != nil {
			conn.Close()
			if ctx.Err() != nil {
				err = errors.Join(ErrInterrupted, err)
			}
			return nil, err
		}
		if i == len(chain)-1 {
			if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok && prev == nil && hc.ProxyCommand == "" {
				conn.RemoteIP = ta.IP
			}
		}
		h, err := handshake(ctx, nc, hc, ui, pin, nil)
		var unsafe *unsafeHostKeyError
		if errors.As(err, &unsafe) {
			nc.Close()
			hc = continueUnsafe(hc, ui)
			if i == len(chain)-1 {
				conn.Config, conn.HostKeyChanged = hc, true
			}
			if nc, err = dialTransport(ctx, hc, prev); err == nil {
				h, err = handshake(ctx, nc, hc, ui, pin, unsafe.key)
			}
		}
		if err != nil {
			if nc != nil {
				nc.Close()
			}
			conn.Close()
			return nil, err
		}
		conn.hops = append(conn.hops, h)
		prev = h.client
	}
	conn.Client = prev
	if conn.RemoteIP == nil {
		conn.RemoteIP = lookupIP(ctx, c.HostName, familyOf(c))
	}
	return conn, nil
}

// continueUnsafe is c for a second connection to a host whose key changed
// under StrictHostKeyChecking no: without the authentication a man in the
// middle could use, said as OpenSSH says it.
func continueUnsafe(c *Config, ui Prompter) *Config {
	u := *c
	if u.PasswordAuthentication {
		u.PasswordAuthentication = false
		if u.Logs("ERROR") {
			ui.Notice("Password authentication is disabled to avoid man-in-the-middle attacks.")
		}
	}
	if u.KbdInteractiveAuth {
		u.KbdInteractiveAuth = false
		if u.Logs("ERROR") {
			ui.Notice("Keyboard-interactive authentication is disabled to avoid man-in-the-middle attacks.")
		}
	}
	return &u
}

// lookupIP resolves host locally, briefly; nil when it does not resolve
// here (a name only the jump host knows).
func lookupIP(ctx context.Context, host, family string) net.IP {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ips, err := lookupFamily(ctx, host, family)
	if err != nil {
		return nil
	}
	return ips[0]
}

// dialTransport opens the byte stream to c: through ProxyCommand, through
// the previous hop, or TCP.
func dialTransport(ctx context.Context, c *Config, prev *ssh.Client) (net.Conn, error) {
	if c.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.ConnectTimeout)
		defer cancel()
	}
	var (
		nc  net.Conn
		err error
	)
	switch {
	case c.ProxyCommand != "":
		nc, err = startProxyCommand(c.ProxyCommand)
	case prev != nil:
		nc, err = prev.DialContext(ctx, "tcp", c.Addr())
	case familyOf(c) == "":
		var d net.Dialer
		nc, err = d.DialContext(ctx, "tcp", c.Addr())
	default:
		var addrs []net.IP
		if addrs, err = lookupFamily(ctx, c.HostName, familyOf(c)); err == nil {
			nc, err = dialFamily(ctx, addrs, c.Port)
		}
	}
	if err != nil {
		return nil, &DialError{Host: c.HostName, Port: c.Port, Reason: dialReason(err, c.HostName), Err: err, Quiet: c.LogLevel == "QUIET"}
	}
	return nc, nil
}

// dialReason words a dial failure like OpenSSH's.
func dialReason(err error, host string) string {
	var dnsErr *net.DNSError
	var oce *ssh.OpenChannelError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "Connection refused"
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return "Connection timed out"
	case errors.Is(err, syscall.ENETUNREACH):
		return "Network is unreachable"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "No route to host"
	case errors.As(err, &dnsErr):
		why := dnsErr.Err
		switch {
		case dnsErr.IsNotFound:
			why = gaiNoName
		case dnsErr.IsTimeout || dnsErr.IsTemporary:
			why = gaiAgain
		}
		return fmt.Sprintf("Could not resolve hostname %s: %s", host, why)
	case errors.As(err, &oce):
		// ssh: "channel 0: open failed: connect failed: Name or
		// service not known". The message is the jump host's.
		why := oce.Reason.String()
		if oce.Message != "" {
			why += ": " + vis.Visible(oce.Message)
		}
		return "open failed through the jump host: " + why
	}
	return err.Error()
}

// handshake runs the SSH handshake and authentication over nc. ctx
// cancellation closes nc; no deadline is set otherwise, because the user may
// be typing a passphrase.
func handshake(ctx context.Context, nc net.Conn, c *Config, ui Prompter, pin *hop, unsafeKey ssh.PublicKey) (*hop, error) {
	hk := newHostKeyChecker(c, ui)
	hk.unsafeKey = unsafeKey
	auth := &authState{c: c, ui: ui, abort: func() { nc.Close() }}
	defer auth.close()
	if home, err := os.UserHomeDir(); err == nil {
		auth.home = home
	}
	kex, ciphers, macs, hostKeyAlgs := c.Algorithms.offered()
	cfg := &ssh.ClientConfig{
		Config:          ssh.Config{KeyExchanges: kex, Ciphers: ciphers, MACs: macs},
		User:            c.User,
		HostKeyCallback: certHostKeyCheck(hk.check, c.Algorithms.caSignature(), func(m string) { hk.errorf("%s", m) }),
	}
	if pin != nil {
		cfg.HostKeyCallback = ssh.FixedHostKey(pin.hostKey)
		cfg.HostKeyAlgorithms = []string{pin.hostKey.Type()}
		if pin.hostKey.Type() == ssh.KeyAlgoRSA {
			cfg.HostKeyAlgorithms = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
		}
		cfg.Auth = auth.methods(pin.signers)
	} else {
		cfg.HostKeyAlgorithms = hostKeyAlgs
		if !c.Algorithms.HostKeyVerbatim {
			cfg.HostKeyAlgorithms = orderHostKeyAlgorithms(hostKeyAlgs, hk.knownKeyAlgorithms())
		}
		cfg.Auth = auth.methods(nil)
		// The server's message before authentication (sshd's Banner:
		// a legal notice, often required to be seen), shown as ssh
		// shows it at LogLevel INFO, control characters escaped. A
		// re-dial, which runs under the session's screen, shows none.
		cfg.BannerCallback = func(msg string) error {
			if msg = strings.TrimRight(strings.ReplaceAll(msg, "\r\n", "\n"), "\n"); msg != "" && c.Logs("INFO") {
				ui.Notice(vis.Visible(msg))
			}
			return nil
		}
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	// As ssh, ConnectTimeout also bounds the wait for the server's
	// banner; the rest of the handshake may wait for the user.
	banner := newBannerConn(nc, c.ConnectTimeout)
	sc, chans, reqs, err := ssh.NewClientConn(banner, c.Addr(), cfg)
	stopped := stop()
	banner.stop()
	if err != nil {
		derr := &DialError{Host: c.HostName, Port: c.Port, User: c.User, Err: err, Quiet: c.LogLevel == "QUIET"}
		switch {
		case banner.timedOut.Load():
			derr.Reason, derr.Err = ErrBannerTimeout.Error(), errors.Join(ErrBannerTimeout, err)
		case !stopped:
			// The caller gave up (Ctrl-C while connecting): as ssh
			// killed by SIGINT, not a failure to report.
			derr.Reason, derr.Err = "cancelled", errors.Join(ErrInterrupted, ctx.Err(), err)
		case errors.Is(err, ErrInterrupted) || auth.interrupted.Load():
			return nil, ErrInterrupted
		case closedByPeer(err):
			// ssh's words: "kex_exchange_identification: Connection
			// closed by remote host" before the server's banner,
			// "Connection closed by H port P" after it. (Only the
			// cases above close the connection on our side.)
			reset := errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
			derr.Err = &PeerClosedError{Peer: remoteID(nc, c), Identified: banner.identified.Load(), Reset: reset, Err: err}
			derr.Reason = derr.Err.Error()
		case negotiationError(err, remoteID(nc, c)) != nil:
			ne := negotiationError(err, remoteID(nc, c))
			derr.Reason, derr.Err = ne.Error(), errors.Join(ne, err)
		case errors.Is(err, ErrHostKeyChanged) || errors.Is(err, ErrHostKeyUnknown):
			derr.Reason = unwrapHandshake(err)
		case strings.Contains(err.Error(), "unable to authenticate") || strings.Contains(err.Error(), "no common public key signature algorithm"):
			// The second: x/crypto's last word when the keys left
			// untried were ones it could not sign with.
			derr.Reason, derr.Err = "permission denied", errors.Join(ErrPermissionDenied, err)
			derr.Tried = auth.triedList()
		default:
			derr.Reason = unwrapHandshake(err)
		}
		return nil, derr
	}
	h := &hop{cfg: c, client: ssh.NewClient(sc, chans, reqs), hostKey: hk.acceptedKey()}
	if pin != nil {
		h.hostKey, h.signers = pin.hostKey, pin.signers
	} else {
		auth.mu.Lock()
		h.signers = append([]ssh.Signer(nil), auth.fileSigners...)
		auth.mu.Unlock()
	}
	return h, nil
}

// unwrapHandshake drops x/crypto's "ssh: handshake failed: " prefix, which
// says nothing to the user.
func unwrapHandshake(err error) string {
	return strings.TrimPrefix(err.Error(), "ssh: handshake failed: ")
}

// bannerConn watches the server's side of the version exchange. It notes
// when the server's identification line ("SSH-2.0-…" and its newline)
// has arrived, so that a connection closed before it can be told from one
// closed in the key exchange, as ssh tells them apart. With a timeout, it
// also closes the connection when no byte arrives within it: the wait for
// the server's banner, which ssh bounds by ConnectTimeout. A timer, not a
// deadline: a jump host's channel and a ProxyCommand's pipes have no
// deadlines.
type bannerConn struct {
	net.Conn
	timer      *time.Timer // nil: no timeout
	once       sync.Once
	timedOut   atomic.Bool
	identified atomic.Bool
	line       []byte // the current line's first bytes (the reading goroutine's)
}

func newBannerConn(nc net.Conn, d time.Duration) *bannerConn {
	b := &bannerConn{Conn: nc, line: make([]byte, 0, 4)}
	if d > 0 {
		b.timer = time.AfterFunc(d, func() {
			b.timedOut.Store(true)
			nc.Close()
		})
	}
	return b
}

// Read stops the timer once the server has said something, and looks for
// the end of its identification line (x/crypto reads it a byte at a time,
// so nothing after it is read here before it is seen).
func (b *bannerConn) Read(p []byte) (int, error) {
	n, err := b.Conn.Read(p)
	if n > 0 {
		b.stop()
		if !b.identified.Load() {
			b.scan(p[:n])
		}
	}
	return n, err
}

// scan follows the lines the server sends before its identification
// (RFC 4253 allows other lines first).
func (b *bannerConn) scan(p []byte) {
	for _, c := range p {
		if c == '\n' {
			if string(b.line) == "SSH-" {
				b.identified.Store(true)
				return
			}
			b.line = b.line[:0]
			continue
		}
		if len(b.line) < 4 {
			b.line = append(b.line, c)
		}
	}
}

// stop ends the wait; the connection's later reads pass straight through.
func (b *bannerConn) stop() {
	b.once.Do(func() {
		if b.timer != nil {
			b.timer.Stop()
		}
	})
}
