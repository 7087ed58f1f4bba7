package sshcfg

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/proc"
)

// proxyConn is a net.Conn over a ProxyCommand's stdin and stdout. Closing
// it closes stdin, stops the command's process group and reaps it, so the
// command never outlives the connection.
type proxyConn struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	once   sync.Once
}

var _ net.Conn = (*proxyConn)(nil)

// startProxyCommand runs command with sh -c, as ssh does; its stderr goes
// to ours so the user sees its messages.
func startProxyCommand(command string) (*proxyConn, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("ProxyCommand: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("ProxyCommand: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ProxyCommand %q: %w", command, err)
	}
	return &proxyConn{cmd: cmd, stdin: stdin, stdout: stdout}, nil
}

func (p *proxyConn) Read(b []byte) (int, error)  { return p.stdout.Read(b) }
func (p *proxyConn) Write(b []byte) (int, error) { return p.stdin.Write(b) }

// Close stops the proxy command: stdin closed first (a polite EOF), then
// SIGTERM to its process group, SIGKILL if it lingers.
func (p *proxyConn) Close() error {
	p.once.Do(func() {
		_ = p.stdin.Close()
		_ = proc.StopGroup(p.cmd, 2*time.Second)
	})
	return nil
}

// PID is the proxy command's process id (tests check it is gone).
func (p *proxyConn) PID() int { return p.cmd.Process.Pid }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "proxy-command" }

func (p *proxyConn) LocalAddr() net.Addr                { return pipeAddr{} }
func (p *proxyConn) RemoteAddr() net.Addr               { return pipeAddr{} }
func (p *proxyConn) SetDeadline(t time.Time) error      { return nil }
func (p *proxyConn) SetReadDeadline(t time.Time) error  { return nil }
func (p *proxyConn) SetWriteDeadline(t time.Time) error { return nil }
