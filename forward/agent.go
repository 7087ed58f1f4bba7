package forward

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Agent forwarding beside a roaming session. sshd makes a new agent socket
// for every connection (in a fresh directory, gone with the connection),
// but the session's shell outlives connections. So the shell's
// SSH_AUTH_SOCK is a symlink in a 0700 directory of ours on the remote
// host, and after each re-dial it is pointed at the new connection's
// socket. A session channel with agent forwarding holds that socket open:
// its command makes the directory (the first time), re-points the link,
// prints the link's path and waits on its stdin, which is never written,
// so it lives exactly as long as the connection.

// agentScript runs under sh -c on the remote host with the directory as
// $1 ("" the first time). Exit codes: 3 a bad directory, 4 no agent socket
// from sshd, 5 the link could not be made.
const agentScript = `umask 077
d=$1
if [ -z "$d" ]; then d=$(mktemp -d "${TMPDIR:-/tmp}/ssh-mosh-agent.XXXXXXXXXX") || exit 3; fi
case $d in /*) ;; *) exit 3;; esac
if [ -h "$d" ] || [ ! -d "$d" ] || [ ! -O "$d" ]; then exit 3; fi
chmod 700 "$d" || exit 3
[ -n "$SSH_AUTH_SOCK" ] || exit 4
ln -s "$SSH_AUTH_SOCK" "$d/agent.$$" && mv -f "$d/agent.$$" "$d/agent" || exit 5
echo "$d/agent"
exec cat >/dev/null`

// Agent set-up timings: attempts after a re-dial, the wait between them,
// and how long the remote command may take to print its path (a login
// shell's rc files run first).
const (
	agentAttempts   = 5
	agentRetryEvery = 2 * time.Second
	agentSetupLimit = 30 * time.Second
)

// ErrAgentRefused is the server's refusal of agent forwarding
// (AllowAgentForwarding no).
var ErrAgentRefused = errors.New("agent forwarding request failed")

// Agent keeps the remote shell's agent socket pointing at the local agent
// across re-dials.
type Agent struct {
	link   Link
	sock   string
	notice func(string)
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	dir  string // the remote directory, fixed by the first connection
	path string // dir + "/agent"
	// handled is the client whose agent channels go to sock (set up
	// sequentially: by StartAgent, then by keep's goroutine).
	handled *ssh.Client
}

// StartAgent forwards the agent at sock (this host's agent socket) on the
// link's current connection and returns once the remote socket path is
// known (Path). It fails with ErrAgentRefused when the server does not
// allow agent forwarding.
func StartAgent(link Link, sock string, notice func(string)) (*Agent, error) {
	if notice == nil {
		notice = func(string) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Agent{link: link, sock: sock, notice: notice, ctx: ctx, cancel: cancel}
	client, changed := link.Client()
	sess, p, err := a.setup(client, "")
	if err != nil {
		cancel()
		return nil, err
	}
	a.path, a.dir = p, path.Dir(p)
	a.wg.Add(1)
	go a.keep(sess, changed)
	return a, nil
}

// Path is the stable SSH_AUTH_SOCK for the remote shell.
func (a *Agent) Path() string { return a.path }

// Close stops re-pointing the socket and closes the current agent
// channel; the remote directory stays until the session's end (the
// shell's environment names it), and is removed by Cleanup.
func (a *Agent) Close() {
	a.cancel()
	a.wg.Wait()
}

// CleanupCommand is a remote command that removes the directory, for the
// session's end.
func (a *Agent) CleanupCommand() string {
	return "rm -f " + shellQuote(a.path) + " && rmdir " + shellQuote(a.dir)
}

// keep holds the agent channel of the current connection and sets up a
// new one on every re-dial.
func (a *Agent) keep(sess *ssh.Session, changed <-chan struct{}) {
	defer a.wg.Done()
	for {
		select {
		case <-a.ctx.Done():
			if sess != nil {
				_ = sess.Close()
			}
			return
		case <-changed:
		}
		if sess != nil {
			_ = sess.Close()
		}
		var client *ssh.Client
		client, changed = a.link.Client()
		sess = a.resetup(client, changed)
	}
}

// resetup sets the agent up on a new connection, retrying while the
// connection stays current (a failure may be passing: the new sshd still
// starting the session); nil when it gives up or the connection changes.
func (a *Agent) resetup(client *ssh.Client, changed <-chan struct{}) *ssh.Session {
	var err error
	for attempt := 0; attempt < agentAttempts; attempt++ {
		var sess *ssh.Session
		sess, _, err = a.setup(client, a.dir)
		if err == nil {
			return sess
		}
		if errors.Is(err, ErrAgentRefused) {
			break
		}
		t := time.NewTimer(agentRetryEvery)
		select {
		case <-t.C:
		case <-changed:
			t.Stop()
			return nil
		case <-a.ctx.Done():
			t.Stop()
			return nil
		}
	}
	a.notice(fmt.Sprintf("agent forwarding after reconnecting: %v", err))
	return nil
}

// setup runs agentScript on client with agent forwarding to a.sock and
// returns the running session and the socket path it printed.
func (a *Agent) setup(client *ssh.Client, dir string) (*ssh.Session, string, error) {
	if client == nil {
		return nil, "", errors.New("no SSH connection")
	}
	// One handler per connection (a second registration on the same
	// client fails); re-dials bring new clients.
	if client != a.handled {
		if err := agent.ForwardToRemote(client, a.sock); err != nil {
			return nil, "", fmt.Errorf("agent forwarding: %w", err)
		}
		a.handled = client
	}
	sess, err := client.NewSession()
	if err != nil {
		return nil, "", fmt.Errorf("agent forwarding: %w", err)
	}
	if err := agent.RequestAgentForwarding(sess); err != nil {
		_ = sess.Close()
		return nil, "", ErrAgentRefused
	}
	// stdin is never written: the command waits on it for as long as the
	// session (and so the connection) lives.
	if _, err := sess.StdinPipe(); err != nil {
		_ = sess.Close()
		return nil, "", err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		_ = sess.Close()
		return nil, "", err
	}
	cmd := "sh -c " + shellQuote(agentScript) + " sh " + shellQuote(dir)
	if err := sess.Start(cmd); err != nil {
		_ = sess.Close()
		return nil, "", fmt.Errorf("agent forwarding: %w", err)
	}
	// A remote command that never prints (or a silent connection) must not
	// hold the caller: closing the session ends the read.
	// Close ends it the same way.
	timer := time.AfterFunc(agentSetupLimit, func() { _ = sess.Close() })
	stopOnClose := context.AfterFunc(a.ctx, func() { _ = sess.Close() })
	line, err := bufio.NewReader(io.LimitReader(out, 4096)).ReadString('\n')
	timer.Stop()
	stopOnClose()
	if err != nil {
		werr := sess.Wait()
		_ = sess.Close()
		var ee *ssh.ExitError
		if errors.As(werr, &ee) && ee.ExitStatus() == 4 {
			return nil, "", ErrAgentRefused
		}
		return nil, "", fmt.Errorf("agent forwarding: the remote socket could not be set up (%v)", werr)
	}
	p := strings.TrimSuffix(line, "\n")
	if err := validAgentPath(p, dir); err != nil {
		_ = sess.Close()
		return nil, "", err
	}
	return sess, p, nil
}

// validAgentPath checks the path the remote host printed: absolute,
// clean, printable, "agent" in a directory of ours (the one given, when
// given).
func validAgentPath(p, dir string) error {
	bad := fmt.Errorf("agent forwarding: the remote host printed an unexpected socket path %q", p)
	if !path.IsAbs(p) || path.Clean(p) != p || path.Base(p) != "agent" || len(p) > 200 {
		return bad
	}
	for _, r := range p {
		if r < 0x21 || r == 0x7f || r == '\'' || r == '"' || r == '\\' || r == '$' || r == '`' {
			return bad
		}
	}
	d := path.Dir(p)
	if !strings.HasPrefix(path.Base(d), "ssh-mosh-agent.") || (dir != "" && d != dir) {
		return bad
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
