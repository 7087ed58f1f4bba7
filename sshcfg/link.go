package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// The link supervisor: one SSH connection to the destination (through its
// whole ProxyJump chain) kept alive for as long as a roaming session runs.
// Everything that rides the connection (the SSH datagram path, port and
// agent forwards) takes the current connection from the Link and waits on
// its change channel for the next one; none of them dials on its own.

// Link timings. DefaultAliveInterval stands in for an unset (zero)
// ServerAliveInterval: a roaming session must notice a connection that died
// without a reset (the network changed under it), so keepalives are always
// on while a Link runs. 3 s × ServerAliveCountMax (3 by default) declares
// the connection dead after about 9 s of silence.
const (
	DefaultAliveInterval = 3 * time.Second
	// redialFirst and redialMax bound the wait between re-dial attempts
	// (doubling from the first to the second).
	redialFirst = 250 * time.Millisecond
	redialMax   = 8 * time.Second
	// redialTimeout bounds one re-dial attempt; redialPromptTimeout one
	// that may wait for the user's answer to a passphrase or password
	// question.
	redialTimeout       = 15 * time.Second
	redialPromptTimeout = 2 * time.Minute
)

// LinkConn is one connection as the Link supervises it. *Conn is one; the
// tests use fakes.
type LinkConn interface {
	// Ping sends one keepalive@openssh.com request and returns its
	// answer; it returns an error at once on a closed connection and
	// blocks while the peer is silent (until the connection is closed).
	Ping() error
	Close() error
}

// Ping is LinkConn's keepalive round trip on the destination.
func (c *Conn) Ping() error {
	_, _, err := c.Client.SendRequest("keepalive@openssh.com", true, nil)
	return err
}

// LinkOptions tune a Link. The zero value takes the connection's
// ServerAliveInterval and ServerAliveCountMax.
type LinkOptions struct {
	// UI answers a re-dial's passphrase and password questions (the
	// session's notification bar); nil: the keys already loaded only.
	UI Prompter
	// Status is told when the connection is lost (err nil) and when a
	// re-dial attempt fails (its error), for the notification bar. It is
	// called from Run's goroutine.
	Status func(err error)
	// Connected is told of each new connection once it is installed
	// (called from Run's goroutine), for a one-line note.
	Connected func(c *Conn)
}

// Link keeps an SSH connection alive and dials it again, with the host
// keys pinned to the first connection's and the keys already loaded, when
// it dies. Make before break: a connection found dead is closed only once
// the next one is up, so whatever still rides it ends then.
type Link struct {
	opts     LinkOptions
	interval time.Duration
	countMax int
	redial   func(ctx context.Context, old LinkConn) (LinkConn, error)

	suspect chan struct{}
	// sleep and wake carry Sleep's and Wake's requests to Run.
	sleep, wake chan struct{}

	mu      sync.Mutex
	cur     LinkConn
	gen     uint64
	changed chan struct{} // closed (and replaced) when cur changes
	done    chan struct{} // closed when Run returns
	running bool
}

// NewLink supervises conn (already dialled) once Run is called.
func NewLink(conn *Conn, opts LinkOptions) *Link {
	l := newLink(conn, conn.Config.ServerAliveInterval, conn.Config.ServerAliveCountMax, opts)
	timeout := redialTimeout
	if opts.UI != nil {
		timeout = redialPromptTimeout
	}
	l.redial = func(ctx context.Context, old LinkConn) (LinkConn, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		next, err := old.(*Conn).RedialWith(ctx, opts.UI) // a nil UI: loaded keys only
		if err != nil {
			return nil, err
		}
		return next, nil
	}
	return l
}

func newLink(conn LinkConn, interval time.Duration, countMax int, opts LinkOptions) *Link {
	if interval <= 0 {
		interval = DefaultAliveInterval
	}
	if countMax <= 0 {
		countMax = 1
	}
	return &Link{
		opts: opts, interval: interval, countMax: countMax, cur: conn,
		suspect: make(chan struct{}, 1), changed: make(chan struct{}), done: make(chan struct{}),
		sleep: make(chan struct{}, 1), wake: make(chan struct{}, 1),
	}
}

// Conn is the current connection.
func (l *Link) Conn() *Conn {
	c, _ := l.current().(*Conn)
	return c
}

func (l *Link) current() LinkConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// Current is the current connection and a channel closed when it is
// replaced (see Client).
func (l *Link) Current() (*Conn, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, _ := l.cur.(*Conn)
	return c, l.changed
}

// Client returns the destination's current SSH client and a channel that
// is closed when it is replaced (or when Run ends: then Client returns the
// last one again, with a channel that never closes). Users open their
// channels on the client and, when it fails them, wait on the channel.
func (l *Link) Client() (*ssh.Client, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var cl *ssh.Client
	if c, ok := l.cur.(*Conn); ok {
		cl = c.Client
	}
	return cl, l.changed
}

// Done is closed when Run has returned.
func (l *Link) Done() <-chan struct{} { return l.done }

// Suspect asks for a keepalive round trip now: a user whose channel on the
// current connection failed calls it, and a connection that does not
// answer within the keepalive interval is replaced.
func (l *Link) Suspect() {
	select {
	case l.suspect <- struct{}{}:
	default:
	}
}

// Sleep lets the connection go: Run closes it and waits, sending nothing
// and ticking no timer, until Wake. For a session that needs the connection
// only when UDP stops getting through.
func (l *Link) Sleep() {
	select { // a Wake from before is not for this sleep
	case <-l.wake:
	default:
	}
	select {
	case l.sleep <- struct{}{}:
	default:
	}
}

// Wake ends Sleep: Run dials again at once, as after a connection that
// died, and the new connection is Current's.
func (l *Link) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// errAsleep ends watch, or redialLoop between attempts, when Sleep asks.
var errAsleep = errors.New("link: asleep")

// asleep waits for Wake; false if ctx ended first.
func (l *Link) asleep(ctx context.Context) bool {
	select {
	case <-l.wake:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run supervises the connection until ctx ends, then returns ctx's error.
// The current connection stays open for the caller (Conn), who closes it.
// Every goroutine Run starts has ended when it returns, except a keepalive
// request still waiting on a silent connection: that one ends when the
// connection is closed.
func (l *Link) Run(ctx context.Context) error {
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return errors.New("link: Run called twice")
	}
	l.running = true
	l.mu.Unlock()
	defer close(l.done)
	for {
		conn := l.current()
		switch err := l.watch(ctx, conn); {
		case err == nil:
			return ctx.Err()
		case errors.Is(err, errAsleep):
			_ = conn.Close()
			if !l.asleep(ctx) {
				return ctx.Err()
			}
		default:
			l.status(nil)
		}
		next, err := l.redialLoop(ctx, conn)
		for errors.Is(err, errAsleep) { // told to sleep between attempts
			if !l.asleep(ctx) {
				return ctx.Err()
			}
			next, err = l.redialLoop(ctx, conn)
		}
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.cur = next
		l.gen++
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
		_ = conn.Close()
		if c, ok := next.(*Conn); ok && l.opts.Connected != nil {
			l.opts.Connected(c)
		}
	}
}

func (l *Link) status(err error) {
	if l.opts.Status != nil {
		l.opts.Status(err)
	}
}

// errNotAnswering is a connection that let countMax keepalives go
// unanswered.
var errNotAnswering = errors.New("the SSH connection stopped answering")

// watch sends a keepalive every interval (and at once when a user suspects
// the connection) and returns the reason the connection is dead, or nil
// when ctx ends. OpenSSH's rule: countMax intervals in a row with the
// request unanswered, or any failed request, and the connection is dead.
func (l *Link) watch(ctx context.Context, conn LinkConn) error {
	t := time.NewTicker(l.interval)
	defer t.Stop()
	res := make(chan error, 1)
	pending := false
	missed := 0
	// suspected: a user asked; one silent interval then suffices.
	suspected := false
	send := func() {
		pending = true
		go func() { res <- conn.Ping() }()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.sleep:
			return errAsleep
		case err := <-res:
			pending = false
			if err != nil {
				return fmt.Errorf("keepalive: %w", err)
			}
			missed, suspected = 0, false
		case <-l.suspect:
			if !pending {
				t.Reset(l.interval)
				send()
			}
			suspected = true
		case <-t.C:
			if !pending {
				send()
				continue
			}
			missed++
			if missed >= l.countMax || suspected {
				return errNotAnswering
			}
		}
	}
}

// redialLoop dials until it works, ctx ends or Sleep asks (errAsleep),
// waiting redialFirst, doubling up to redialMax, between failed attempts.
func (l *Link) redialLoop(ctx context.Context, old LinkConn) (LinkConn, error) {
	wait := redialFirst
	for {
		next, err := l.redial(ctx, old)
		if err == nil {
			if ctx.Err() != nil {
				_ = next.Close()
				return nil, ctx.Err()
			}
			return next, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		l.status(err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-l.sleep:
			t.Stop()
			return nil, errAsleep
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		wait = min(2*wait, redialMax)
	}
}
