package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssh-mosh/ssh-mosh/session"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// The SSH datagram path: the session's datagrams ride the SSH connection,
// through a direct-streamlocal channel to our mosh-server's unix socket or
// through a relay on the target forwarding to the server's UDP port. When
// the SSH connection dies (a network change), the whole chain is dialled
// again with the host keys pinned and the keys already loaded, a new stream
// is attached, and the session carries on: the server follows the first
// authentic newer datagram.

// Re-dial timings.
const (
	redialFirst = 250 * time.Millisecond
	redialMax   = 8 * time.Second
	// keepAliveEvery and keepAliveMissed notice a connection that died
	// without a reset (the peer vanished): keepalive@openssh.com requests
	// unanswered for keepAliveEvery*keepAliveMissed.
	keepAliveEvery  = 3 * time.Second
	keepAliveMissed = 3
	// streamStartTimeout bounds the start of a relay or socket channel.
	streamStartTimeout = 15 * time.Second
	// redialTimeout bounds one re-dial, which may wait for the user to
	// answer a passphrase or password question in the notification bar.
	redialTimeout = 2 * time.Minute
)

// sshLink keeps an SSH stream attached to a session's ClientPaths for as
// long as run runs.
type sshLink struct {
	paths *session.ClientPaths
	// socket is our mosh-server's unix socket ("" for the stock server).
	socket string
	relay  sshcfg.RelayRequest

	// ui asks for passphrases and passwords during a re-dial (through the
	// session's notification bar); nil: keys already loaded only.
	ui sshcfg.Prompter

	mu   sync.Mutex
	conn *sshcfg.Conn
	// attached reports (once) whether the first stream could be started.
	attached chan error
	once     sync.Once
}

func newSSHLink(conn *sshcfg.Conn, paths *session.ClientPaths, socket string, relay sshcfg.RelayRequest) *sshLink {
	return &sshLink{paths: paths, socket: socket, relay: relay, conn: conn, attached: make(chan error, 1)}
}

// Conn is the current SSH connection (for a plain-SSH fallback).
func (l *sshLink) Conn() *sshcfg.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn
}

func (l *sshLink) reportAttach(err error) {
	l.once.Do(func() { l.attached <- err })
}

// open starts a stream to the server over conn: the unix socket when the
// server has one, else a relay.
func (l *sshLink) open(ctx context.Context, conn *sshcfg.Conn) (io.ReadWriteCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, streamStartTimeout)
	defer cancel()
	var errs []error
	if l.socket != "" {
		c, err := sshcfg.DialUnixSocket(conn, l.socket)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	rwc, err := sshcfg.StartRelay(ctx, conn, l.relay)
	if err == nil {
		return rwc, nil
	}
	return nil, errors.Join(append(errs, err)...)
}

// run attaches a stream, watches it and the connection, and re-dials
// when either dies, until ctx ends. If the very first stream cannot be
// started on a live connection (no relay possible), it gives up: the
// session then has UDP only.
func (l *sshLink) run(ctx context.Context) {
	first := true
	reopenWait := redialFirst
	for ctx.Err() == nil {
		attachedAt := time.Now()
		conn := l.Conn()
		rwc, err := l.open(ctx, conn)
		if err != nil {
			if first {
				l.reportAttach(err)
				return
			}
		} else {
			dead, aerr := l.paths.Attach(rwc)
			if aerr != nil {
				l.reportAttach(aerr)
				return
			}
			l.reportAttach(nil)
			first = false
			l.watch(ctx, conn, dead)
		}
		if ctx.Err() != nil {
			return
		}
		if err == nil && connAlive(ctx, conn) {
			// Only the stream ended (a relay that exited): open another
			// on the same connection, backing off if streams keep dying
			// at once (the server is gone).
			if time.Since(attachedAt) > 10*time.Second {
				reopenWait = redialFirst
			}
			if !sleepCtx(ctx, reopenWait) {
				return
			}
			reopenWait = min(2*reopenWait, redialMax)
			continue
		}
		l.paths.SetRedialing("Connection lost: reconnecting over SSH...")
		next, ok := l.redial(ctx, conn)
		if !ok {
			return
		}
		if ctx.Err() != nil {
			_ = next.Close()
			return
		}
		l.mu.Lock()
		l.conn = next
		l.mu.Unlock()
		// Make before break: the new connection is up before the old one
		// is closed (it is dead or dying anyway).
		_ = conn.Close()
	}
}

// watch returns when the stream ends, the connection stops answering
// keepalives, or ctx ends. A connection found dead is closed, which ends
// its streams.
func (l *sshLink) watch(ctx context.Context, conn *sshcfg.Conn, dead <-chan struct{}) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	kaDone := make(chan struct{})
	go func() {
		defer close(kaDone)
		if keepAlive(wctx, conn) != nil {
			_ = conn.Close()
		}
	}()
	select {
	case <-dead:
	case <-kaDone:
	case <-ctx.Done():
	}
	cancel()
	<-kaDone
}

// keepAlive sends keepalive@openssh.com every keepAliveEvery and fails
// after keepAliveMissed intervals without an answer, or at once when the
// connection is closed. It returns nil when ctx ends.
func keepAlive(ctx context.Context, conn *sshcfg.Conn) error {
	t := time.NewTicker(keepAliveEvery)
	defer t.Stop()
	res := make(chan error, 1)
	pending := false
	missed := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-res:
			pending = false
			if err != nil {
				return err
			}
			missed = 0
		case <-t.C:
			if pending {
				missed++
				if missed >= keepAliveMissed {
					return errors.New("ssh-mosh: the SSH connection stopped answering")
				}
				continue
			}
			pending = true
			go func() {
				_, _, err := conn.Client.SendRequest("keepalive@openssh.com", true, nil)
				res <- err
			}()
		}
	}
}

// redial dials the chain again with backoff until it works or ctx ends.
func (l *sshLink) redial(ctx context.Context, old *sshcfg.Conn) (*sshcfg.Conn, bool) {
	// A re-dial that may wait for the user's answer in the bar gets longer.
	timeout := streamStartTimeout
	if l.ui != nil {
		timeout = redialTimeout
	}
	wait := redialFirst
	for {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		next, err := old.RedialWith(dctx, l.ui) // a nil ui: loaded keys only, as Redial
		cancel()
		if err == nil {
			return next, true
		}
		if ctx.Err() != nil {
			return nil, false
		}
		l.paths.SetRedialing(fmt.Sprintf("Reconnecting over SSH (%s)...", shortReason(err)))
		if !sleepCtx(ctx, wait) {
			return nil, false
		}
		wait = min(2*wait, redialMax)
	}
}

// shortReason keeps a dial error short enough for the notification bar.
func shortReason(err error) string {
	var de *sshcfg.DialError
	if errors.As(err, &de) {
		return de.Reason
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	s := err.Error()
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// connAliveTimeout bounds the check that a connection still answers.
const connAliveTimeout = 3 * time.Second

// connAlive reports whether conn answers a keepalive request in time.
func connAlive(ctx context.Context, conn *sshcfg.Conn) bool {
	res := make(chan error, 1)
	go func() {
		_, _, err := conn.Client.SendRequest("keepalive@openssh.com", true, nil)
		res <- err
	}()
	t := time.NewTimer(connAliveTimeout)
	defer t.Stop()
	select {
	case err := <-res:
		return err == nil
	case <-t.C:
		// A request that hangs ends when the connection is closed.
		_ = conn.Close()
		return false
	case <-ctx.Done():
		return false
	}
}

// sleepCtx waits d, or less if ctx ends first (then it reports false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// overlayPrompter asks the re-dial's questions (a key's passphrase, a
// password) in the session's notification bar: the terminal belongs to the
// session. A question the user cancels (Ctrl-C) is not asked again; the
// re-dial then goes on with what it has.
type overlayPrompter struct {
	ctx       context.Context
	prompts   chan<- *session.Prompt
	cancelled atomic.Bool
}

var _ sshcfg.Prompter = (*overlayPrompter)(nil)

func (p *overlayPrompter) Prompt(question string, echo bool) (string, error) {
	if p.cancelled.Load() {
		return "", sshcfg.ErrNoPrompt
	}
	reply := make(chan session.PromptAnswer, 1)
	select {
	case p.prompts <- &session.Prompt{Question: question, Echo: echo, Reply: reply}:
	case <-p.ctx.Done():
		return "", p.ctx.Err()
	}
	select {
	case a := <-reply:
		if a.Err != nil {
			p.cancelled.Store(true)
			return "", a.Err
		}
		return a.Text, nil
	case <-p.ctx.Done():
		return "", p.ctx.Err()
	}
}

// Notice drops informational lines: the bar already says what happens.
func (p *overlayPrompter) Notice(string) {}
