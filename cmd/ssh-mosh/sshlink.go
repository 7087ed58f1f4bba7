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

	"github.com/ssh-mosh/ssh-mosh/datapath"
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

// Stream timings.
const (
	// reopenFirst and reopenMax bound the wait before a stream that ended
	// on a live connection is opened again (doubling while streams keep
	// dying at once: the server is gone).
	reopenFirst = 250 * time.Millisecond
	reopenMax   = 8 * time.Second
	// streamStartTimeout bounds the start of a relay or socket channel.
	streamStartTimeout = 15 * time.Second
)

// sshLink keeps an SSH stream attached to a session's ClientPaths for as
// long as run runs, on the connection the sshcfg.Link supervises (which
// keeps it alive and dials it again when it dies).
type sshLink struct {
	link  *sshcfg.Link
	paths *datapath.ClientPaths
	// socket is our mosh-server's unix socket ("" for the stock server).
	socket string
	relay  sshcfg.RelayRequest

	// attached reports (once) whether the first stream could be started.
	attached chan error
	once     sync.Once
}

func newSSHLink(link *sshcfg.Link, paths *datapath.ClientPaths, socket string, relay sshcfg.RelayRequest) *sshLink {
	return &sshLink{link: link, paths: paths, socket: socket, relay: relay, attached: make(chan error, 1)}
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

// run attaches a stream to the current connection and attaches another
// when it ends: at once on a new connection, after a backoff on the same
// one. If the very first stream cannot be started on a live connection (no
// relay possible), it gives up: the session then has UDP only.
func (l *sshLink) run(ctx context.Context) {
	first := true
	reopenWait := reopenFirst
	for ctx.Err() == nil {
		conn, changed := l.link.Current()
		attachedAt := time.Now()
		rwc, err := l.open(ctx, conn)
		if err != nil {
			if first {
				l.reportAttach(err)
				return
			}
			// The connection may be dead: the Link checks now and
			// replaces it if so.
			l.link.Suspect()
		} else {
			dead, aerr := l.paths.Attach(rwc)
			if aerr != nil {
				l.reportAttach(aerr)
				return
			}
			l.reportAttach(nil)
			first = false
			select {
			case <-dead:
				l.link.Suspect()
			case <-changed:
				_ = rwc.Close() // rode the connection just replaced
				continue
			case <-ctx.Done():
				return
			}
		}
		if time.Since(attachedAt) > 10*time.Second {
			reopenWait = reopenFirst
		}
		t := time.NewTimer(reopenWait)
		select {
		case <-changed:
			reopenWait = reopenFirst
		case <-t.C:
			reopenWait = min(2*reopenWait, reopenMax)
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// linkStatus words the Link's news for the notification bar.
func linkStatus(err error) string {
	if err == nil {
		return "Connection lost: reconnecting over SSH..."
	}
	return fmt.Sprintf("Reconnecting over SSH (%s)...", shortReason(err))
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
