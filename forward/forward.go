package forward

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/vis"
	"golang.org/x/crypto/ssh"
)

// Link is the supervised SSH connection the forwards ride (sshcfg.Link).
type Link interface {
	// Client is the current client and a channel closed when it is
	// replaced.
	Client() (*ssh.Client, <-chan struct{})
	// Suspect asks the link to check its connection now (a channel open
	// failed at the connection level).
	Suspect()
}

// Options tune Start.
type Options struct {
	// GatewayPorts (-g): local listeners without a bind address listen on
	// every address rather than loopback only.
	GatewayPorts bool
	// ExitOnForwardFailure: a forward that cannot be set up at the start
	// makes Start fail (the login is not made), as OpenSSH's option.
	ExitOnForwardFailure bool
	// Notice prints a one-line message to the user ("Allocated port …",
	// "Warning: remote port forwarding failed …"). It may be called from
	// any goroutine, also after Start returned.
	Notice func(string)
	// StatusChanged, when set, is called after Status may have changed, so
	// an idle session's notification bar can show it at once. It may be
	// called from any goroutine and must not block.
	StatusChanged func()
}

// Timings of remote forwards after a re-dial: the old sshd may still hold
// the port until it notices its client is gone (its own keepalives or the
// TCP timeout), so the request is repeated.
const (
	remoteRetryEvery = time.Second
	remoteRetryFor   = 2 * time.Minute
	// dialTimeout bounds a forwarded connection's start on either side.
	dialTimeout = 15 * time.Second
)

// Forwarder runs a session's forwards on a Link until Close.
type Forwarder struct {
	link   Link
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[io.Closer]struct{}
	pending   int      // remote forwards being re-requested
	failed    []string // forwards that could not be (re-)established
}

// Start opens the local listeners and requests the remote forwards on the
// link's current connection, then keeps them: local listeners stay open
// across re-dials, remote forwards are requested again on every new
// connection.
func Start(link Link, specs []Spec, opts Options) (*Forwarder, error) {
	if opts.Notice == nil {
		opts.Notice = func(string) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Forwarder{link: link, opts: opts, ctx: ctx, cancel: cancel, conns: map[io.Closer]struct{}{}}
	var localFailed, localCount int
	for _, s := range specs {
		if s.Kind == Remote {
			continue
		}
		localCount++
		lns, err := f.listenLocal(s)
		if err != nil {
			localFailed++
			opts.Notice(err.Error())
			continue
		}
		for _, ln := range lns {
			f.listeners = append(f.listeners, ln)
			f.wg.Add(1)
			go f.acceptLocal(ln, s)
		}
	}
	if localFailed > 0 && (opts.ExitOnForwardFailure || localFailed == localCount) {
		if opts.ExitOnForwardFailure {
			f.Close()
			//lint:ignore ST1005 OpenSSH's wording, shown to the user as is
			return nil, errors.New("Could not request local forwarding.")
		}
		opts.Notice("Could not request local forwarding.")
	}
	client, changed := link.Client()
	for _, s := range specs {
		if s.Kind != Remote {
			continue
		}
		ln, err := f.listenRemote(client, s, s.ListenPort)
		if err != nil {
			if opts.ExitOnForwardFailure {
				f.Close()
				//lint:ignore ST1005 OpenSSH's wording, shown to the user as is
				return nil, fmt.Errorf("Error: remote port forwarding failed for listen port %d", s.ListenPort)
			}
			opts.Notice(fmt.Sprintf("Warning: remote port forwarding failed for listen port %d", s.ListenPort))
			f.noteFailed(s)
			continue
		}
		port := s.ListenPort
		if port == 0 {
			port = ln.Addr().(*net.TCPAddr).Port
			opts.Notice(fmt.Sprintf("Allocated port %d for remote forward to %s", port, s.Target()))
		}
		f.wg.Add(1)
		go f.keepRemote(s, port, ln, changed)
	}
	return f, nil
}

// Close stops every forward: listeners here and on the remote host (a
// cancel-tcpip-forward on a live connection), and connections in flight.
func (f *Forwarder) Close() {
	f.cancel()
	f.mu.Lock()
	for _, ln := range f.listeners {
		_ = ln.Close()
	}
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Status is the notification bar's text while remote forwards are being
// re-established after a re-dial ("" otherwise).
func (f *Forwarder) Status() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending > 0 {
		return "Re-establishing forwards..."
	}
	return ""
}

// Failed lists the forwards that could not be re-established, for the one
// line printed on exit.
func (f *Forwarder) Failed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.failed...)
}

func (f *Forwarder) noteFailed(s Spec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	desc := fmt.Sprintf("-R %s:%s", s.Listen(), s.Target())
	for _, d := range f.failed {
		if d == desc {
			return
		}
	}
	f.failed = append(f.failed, desc)
}

// track remembers c for Close; the returned func forgets it.
func (f *Forwarder) track(c io.Closer) (untrack func(), ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx.Err() != nil {
		return nil, false
	}
	f.conns[c] = struct{}{}
	return func() {
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
	}, true
}

// localAddrs are the addresses a local listener binds, by OpenSSH's rule
// (channel_fwd_bind_addr, client side): no bind address means loopback,
// or every address with GatewayPorts; "" and "*" mean every address;
// "localhost" means the loopback addresses of both families.
func localAddrs(s Spec, gatewayPorts bool) []string {
	port := strconv.Itoa(s.ListenPort)
	switch {
	case s.ListenHost == nil && gatewayPorts, s.ListenHost != nil && (*s.ListenHost == "" || *s.ListenHost == "*"):
		return []string{net.JoinHostPort("", port)}
	case s.ListenHost == nil || *s.ListenHost == "localhost":
		// getaddrinfo's order for loopback (RFC 6724): ::1 first.
		return []string{net.JoinHostPort("::1", port), net.JoinHostPort("127.0.0.1", port)}
	}
	return []string{net.JoinHostPort(*s.ListenHost, port)}
}

// listenLocal binds a -L or -D listener. Loopback on both families needs
// one of them to work (a host without IPv6). As in OpenSSH's
// channel_setup_fwd_listener_tcpip, a failure of the last address is
// reported even when another one listens: 127.0.0.1 taken by another
// program while ::1 works leaves "localhost:PORT" reaching that program
// for most clients, which the user must hear of. Earlier failures (::1 on
// a host without IPv6) stay quiet, as ssh keeps them for -v.
func (f *Forwarder) listenLocal(s Spec) ([]net.Listener, error) {
	var (
		lns  []net.Listener
		last error // ssh reports the last address's failure
	)
	var lc net.ListenConfig
	addrs := localAddrs(s, f.opts.GatewayPorts)
	for i, a := range addrs {
		ln, err := lc.Listen(f.ctx, "tcp", a)
		if err != nil {
			last = err
			if i == len(addrs)-1 && len(lns) > 0 && f.opts.Notice != nil {
				host, port, _ := net.SplitHostPort(a)
				f.opts.Notice(fmt.Sprintf("bind [%s]:%s: %s", host, port, vis.Strerror(err)))
			}
			continue
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		// OpenSSH: "bind [127.0.0.1]:8080: Address already in use".
		return nil, fmt.Errorf("bind %s: %s", s.Listen(), vis.Strerror(last))
	}
	return lns, nil
}

// acceptLocal serves one -L or -D listener until it is closed.
func (f *Forwarder) acceptLocal(ln net.Listener, s Spec) {
	defer f.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if f.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a transient accept error (EMFILE...)
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serveLocal(c, s)
		}()
	}
}

// serveLocal carries one accepted connection through a direct-tcpip
// channel on the current connection.
func (f *Forwarder) serveLocal(c net.Conn, s Spec) {
	untrack, ok := f.track(c)
	if !ok {
		_ = c.Close()
		return
	}
	defer untrack()
	defer c.Close()
	target := s.Target()
	var req socksRequest
	if s.Kind == Dynamic {
		br := bufio.NewReader(c)
		_ = c.SetReadDeadline(time.Now().Add(dialTimeout))
		r, err := readSocksRequest(br, c)
		_ = c.SetReadDeadline(time.Time{})
		if err != nil {
			return
		}
		req, target = r, r.target()
		c = &bufferedConn{Conn: c, r: br}
	}
	ch, err := f.dialRemote(target)
	if s.Kind == Dynamic {
		if werr := writeSocksReply(c, req.version, err == nil); werr != nil && ch != nil {
			_ = ch.Close()
			return
		}
	}
	if err != nil {
		return
	}
	f.pipeTracked(c, ch)
}

// dialRemote opens a direct-tcpip channel to target on the current
// connection. A failure that is not the remote end's refusal makes the
// link check its connection, and the channel is tried once more on the
// next connection if one comes within dialTimeout: a connection accepted
// during a re-dial waits for it rather than fail.
func (f *Forwarder) dialRemote(target string) (net.Conn, error) {
	client, changed := f.link.Client()
	for attempt := 0; ; attempt++ {
		if client == nil {
			return nil, errors.New("no SSH connection")
		}
		ctx, cancel := context.WithTimeout(f.ctx, dialTimeout)
		ch, err := client.DialContext(ctx, "tcp", target)
		cancel()
		if err == nil {
			return ch, nil
		}
		var oce *ssh.OpenChannelError
		if errors.As(err, &oce) || attempt > 0 || f.ctx.Err() != nil {
			return nil, err
		}
		f.link.Suspect()
		t := time.NewTimer(dialTimeout)
		select {
		case <-changed:
			t.Stop()
		case <-t.C:
			return nil, err
		case <-f.ctx.Done():
			t.Stop()
			return nil, err
		}
		client, changed = f.link.Client()
	}
}

// listenRemote asks for a remote listener on the given port; the bind
// host is sent as OpenSSH sends it (channel_rfwd_bind_host): "localhost"
// when none was given, "" for "*".
func (f *Forwarder) listenRemote(client *ssh.Client, s Spec, port int) (net.Listener, error) {
	if client == nil {
		return nil, errors.New("no SSH connection")
	}
	host := "localhost"
	if s.ListenHost != nil {
		host = *s.ListenHost
		if host == "*" {
			host = ""
		}
	}
	return client.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
}

// keepRemote serves a remote forward's connections and requests it again
// (on the same port, also one the server allocated) after each re-dial.
func (f *Forwarder) keepRemote(s Spec, port int, ln net.Listener, changed <-chan struct{}) {
	defer f.wg.Done()
	for {
		if ln != nil {
			// Make before break: on a new connection the listener moves
			// there even while the old connection still lives.
			stop := make(chan struct{})
			moved := make(chan struct{})
			go func() {
				defer close(moved)
				select {
				case <-changed:
					_ = ln.Close() // cancel-tcpip-forward, if the old connection still answers
				case <-stop:
				}
			}()
			f.acceptRemote(ln, s)
			close(stop)
			<-moved
			_ = ln.Close()
		}
		// The connection went away: wait for the next one.
		select {
		case <-f.ctx.Done():
			return
		case <-changed:
		}
		var client *ssh.Client
		client, changed = f.link.Client()
		ln = f.rerequest(client, s, port, changed)
	}
}

// setPending counts remote forwards being re-requested, and tells
// StatusChanged.
func (f *Forwarder) setPending(delta int) {
	f.mu.Lock()
	f.pending += delta
	f.mu.Unlock()
	if f.opts.StatusChanged != nil {
		f.opts.StatusChanged()
	}
}

// rerequest asks for the remote port again until it works, the
// connection changes again or remoteRetryFor passes; nil when it did not
// work (the failure is noted for the exit line).
func (f *Forwarder) rerequest(client *ssh.Client, s Spec, port int, changed <-chan struct{}) net.Listener {
	f.setPending(+1)
	defer f.setPending(-1)
	deadline := time.Now().Add(remoteRetryFor)
	for {
		ln, err := f.listenRemote(client, s, port)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			f.noteFailed(s)
			return nil
		}
		t := time.NewTimer(remoteRetryEvery)
		select {
		case <-t.C:
		case <-changed:
			t.Stop()
			return nil // the loop waits on the next connection
		case <-f.ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// acceptRemote serves a remote listener until its connection ends or
// Close: each connection goes to the target from this end.
func (f *Forwarder) acceptRemote(ln net.Listener, s Spec) {
	untrack, ok := f.track(ln)
	if !ok {
		return
	}
	defer untrack()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			untrack, ok := f.track(c)
			if !ok {
				_ = c.Close()
				return
			}
			defer untrack()
			defer c.Close()
			var d net.Dialer
			ctx, cancel := context.WithTimeout(f.ctx, dialTimeout)
			out, err := d.DialContext(ctx, "tcp", s.Target())
			cancel()
			if err != nil {
				return
			}
			f.pipeTracked(c, out)
		}()
	}
}

// bufferedConn is a conn whose first bytes were read through r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *bufferedConn) CloseWrite() error {
	if cw, ok := b.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return b.Conn.Close()
}

// closeWriter is a conn that can end its write half (TCP, SSH channels).
type closeWriter interface{ CloseWrite() error }

// pipe copies both ways until both directions end; a side's EOF is passed
// on as a half close so request/response protocols finish.
// pipeTracked copies between c and out until both directions end, with out
// tracked so that Close ends it; out is closed when the forwarder is
// already closing.
func (f *Forwarder) pipeTracked(c, out net.Conn) {
	untrack, ok := f.track(out)
	if !ok {
		_ = out.Close()
		return
	}
	defer untrack()
	pipe(c, out)
}

func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(closeWriter); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
		done <- struct{}{}
	}
	go cp(a, b)
	go cp(b, a)
	<-done
	<-done
}
