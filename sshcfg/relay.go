package sshcfg

import (
	"bytes"
	"context"
	_ "embed" // the relay scripts
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/ssh-mosh/ssh-mosh/datapath"
)

// Reaching a mosh server through the SSH connection (for networks that drop
// UDP, and hosts behind jump hosts): either a direct-streamlocal channel to
// the unix socket our mosh-server listens on when asked, or an exec channel
// running a relay between the channel and the server's UDP port on the
// remote host (datapath.RunRelay describes the relay protocol).

//go:embed relay.pl
var relayPerl string

//go:embed relay.py
var relayPython string

// UnixSocketVar, passed to mosh-server as `-l SSH_MOSH_UNIX_SOCKET=1`, asks
// our mosh-server to also listen on a per-user unix socket and to print
// UnixSocketMark with its path. The stock mosh-server takes -l NAME=VALUE
// as locale settings, used only if its own locale is not UTF-8, and then
// merely sets that variable in its environment: harmless either way.
const UnixSocketVar = "SSH_MOSH_UNIX_SOCKET"

// UnixSocketMark starts the line on which our mosh-server prints its unix
// socket's path, before MOSH CONNECT.
const UnixSocketMark = "MOSH SSH-MOSH-SOCKET "

// ParseUnixSocketLine returns the path of a UnixSocketMark line.
func ParseUnixSocketLine(line string) (string, bool) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, UnixSocketMark) {
		return "", false
	}
	p := strings.TrimSpace(strings.TrimPrefix(line, UnixSocketMark))
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	return p, true
}

// DialUnixSocket opens a direct-streamlocal@openssh.com channel to path on
// the remote host (sshd's AllowStreamLocalForwarding, on by default).
func DialUnixSocket(conn *Conn, path string) (net.Conn, error) {
	c, err := conn.Client.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot reach %s over SSH: %w", conn.Config.Host, path, err)
	}
	return c, nil
}

// RelayRequest says where a relay forwards on the remote host.
type RelayRequest struct {
	// Host and Port are the mosh-server's UDP address as the remote host
	// reaches it: the address it bound (mosh-server -s binds the SSH
	// connection's local address) or 127.0.0.1.
	Host string
	Port int
	// Server is --server: checked first for our binary's relay mode.
	Server string
}

// relayScript is the remote command: our mosh-server's relay mode when the
// mosh-server found is ours, otherwise Perl, otherwise Python 3. Every
// diagnostic goes to stderr: stdout is the frame stream.
func relayScript(req RelayRequest) string {
	hp := ShellQuote(req.Host) + " " + ShellQuote(strconv.Itoa(req.Port))
	var b strings.Builder
	if req.Server != "" {
		first := req.Server
		if w, err := SplitShellWords(req.Server); err == nil && len(w) > 0 {
			first = w[0]
		}
		fmt.Fprintf(&b, `s=%s; `, ShellQuote(first))
	} else {
		b.WriteString(`s=$(command -v mosh-server 2>/dev/null); `)
		b.WriteString(`if [ -z "$s" ]; then for d in ` + strings.Join(dquoteAll(serverSearchDirs), " ") +
			`; do if [ -x "$d/mosh-server" ]; then s="$d/mosh-server"; break; fi; done; fi; `)
	}
	b.WriteString(`if [ -n "$s" ] && "$s" --version 2>/dev/null </dev/null | grep -q 'build ssh-mosh'; then exec "$s" relay ` + hp + `; fi; `)
	b.WriteString(`if command -v perl >/dev/null 2>&1; then exec perl -e ` + ShellQuote(relayPerl) + ` ` + hp + `; fi; `)
	b.WriteString(`if command -v python3 >/dev/null 2>&1; then exec python3 -c ` + ShellQuote(relayPython) + ` ` + hp + `; fi; `)
	b.WriteString(`echo 'no relay possible here: neither ssh-mosh'"'"'s mosh-server nor perl nor python3 found' >&2; exit 127`)
	return b.String()
}

// RelayScripts returns the Perl and Python relays, for tests that run them
// locally.
func RelayScripts() (perl, python string) { return relayPerl, relayPython }

// relayStream is a relay's exec channel as one stream.
type relayStream struct {
	io.Reader
	stdin io.WriteCloser
	sess  *ssh.Session
	once  sync.Once
}

func (r *relayStream) Write(b []byte) (int, error) { return r.stdin.Write(b) }

// Close hangs up the channel: the relay then reads EOF and exits.
func (r *relayStream) Close() error {
	var err error
	r.once.Do(func() {
		_ = r.stdin.Close()
		err = r.sess.Close()
	})
	if err == io.EOF {
		err = nil
	}
	return err
}

// StartRelay runs a relay on the remote host over a new exec channel and
// returns the frame stream once the relay has greeted. ctx bounds the
// start only.
func StartRelay(ctx context.Context, conn *Conn, req RelayRequest) (io.ReadWriteCloser, error) {
	host := conn.Config.Host
	sess, err := conn.Client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open a session for the relay: %w", host, err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: %w", host, err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: %w", host, err)
	}
	var stderr bytes.Buffer
	sess.Stderr = &lockedWriter{w: &stderr}
	if err := sess.Start(relayCommand(req)); err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: cannot start the relay: %w", host, err)
	}
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	r, err := datapath.SkipRelayPreamble(stdout)
	stopped := stop()
	if err != nil || !stopped {
		sess.Close()
		return nil, relayStartError(ctx, host, req.Port, sess.Stderr.(*lockedWriter).String(), err, stopped)
	}
	return &relayStream{Reader: r, stdin: stdin, sess: sess}, nil
}

// relayCommand is the remote command that runs relayScript under sh, as
// sshd would run it through any login shell.
func relayCommand(req RelayRequest) string { return "/bin/sh -c " + ShellQuote(relayScript(req)) }

// relayStartError says why a relay did not start: the remote's words on
// its stderr, else the error reading its greeting (err), or ctx's end when
// the start was cut short (stopped false).
func relayStartError(ctx context.Context, host string, port int, stderr string, err error, stopped bool) error {
	why := strings.TrimSpace(stderr)
	if why == "" && err != nil {
		why = err.Error()
	}
	if !stopped {
		why = ctx.Err().Error()
	}
	return fmt.Errorf("%s: the relay to UDP port %d did not start: %s", host, port, why)
}

// lockedWriter collects a relay's stderr, written by the ssh package's
// goroutine and read by ours.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() < 4096 {
		l.w.Write(b)
	}
	return len(b), nil
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
