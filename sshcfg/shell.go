package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ssh-mosh/ssh-mosh/internal/proc"
	"github.com/ssh-mosh/ssh-mosh/internal/sshescape"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"
)

// exitConnectionError is ssh's exit status when the connection, not the
// remote command, failed.
const exitConnectionError = 255

// RunCommand runs cmd on the remote host with the given streams, as ssh does
// without a pty when no OpenSSH is installed. It returns the remote exit
// status, or 255 and an error when the connection failed or the remote did
// not report a status.
func RunCommand(ctx context.Context, conn *Conn, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	sess, done, err := openSession(ctx, conn)
	if err != nil {
		return exitConnectionError, err
	}
	defer done()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr
	if cmd == "" {
		err = sess.Shell()
		if err == nil {
			err = sess.Wait()
		}
	} else {
		err = sess.Run(cmd)
	}
	return exitStatus(ctx, conn, err)
}

// exitStatus maps a session's end to ssh's exit status.
func exitStatus(ctx context.Context, conn *Conn, err error) (int, error) {
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr):
		if exitErr.Signal() != "" {
			return exitConnectionError, fmt.Errorf("remote command on %s killed by signal %s", conn.Config.Host, exitErr.Signal())
		}
		return exitErr.ExitStatus(), nil
	case ctx.Err() != nil:
		return exitConnectionError, fmt.Errorf("%s: %w", conn.Config.Host, ctx.Err())
	default:
		return exitConnectionError, fmt.Errorf("connection to %s lost: %w", conn.Config.Host, err)
	}
}

// InteractiveShell runs a login shell (or cmd) on the remote host in a pty,
// like plain ssh: the local terminal in raw mode, the remote pty sized like
// it and resized on SIGWINCH. Used when mosh-server is missing or UDP does
// not get through. When stdin is not a terminal the pty is still requested
// (as ssh -tt) with an 80x24 size.
func InteractiveShell(ctx context.Context, conn *Conn, termName string, stdin io.Reader, stdout, stderr io.Writer, cmd string) (int, error) {
	sess, done, err := openSession(ctx, conn)
	if err != nil {
		return exitConnectionError, err
	}
	defer done()

	inFd, inTTY := terminalFd(stdin)
	sizeFd, sizeTTY := terminalFd(stdout)
	if !sizeTTY {
		sizeFd, sizeTTY = inFd, inTTY
	}
	width, height := 80, 24
	if sizeTTY {
		if w, h, err := term.GetSize(sizeFd); err == nil && w > 0 && h > 0 {
			width, height = w, h
		}
	}
	if termName == "" {
		termName = "xterm-256color"
	}
	if err := sess.RequestPty(termName, height, width, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		return exitConnectionError, fmt.Errorf("%s: pty request refused: %w", conn.Config.Host, err)
	}
	var escapes *escapeReader
	if inTTY {
		old, err := term.MakeRaw(inFd)
		if err != nil {
			return exitConnectionError, fmt.Errorf("raw terminal: %w", err)
		}
		defer func() { _ = term.Restore(inFd, old) }()
		if conn.Config.EscapeChar != sshescape.None {
			escapes = &escapeReader{
				r:      stdin,
				filter: sshescape.NewFilter(conn.Config.EscapeChar),
				help:   stdout,
				suspend: func() {
					_ = term.Restore(inFd, old)
					proc.SuspendGroup()
					_, _ = term.MakeRaw(inFd)
					if w, h, err := term.GetSize(sizeFd); err == nil && sizeTTY {
						_ = sess.WindowChange(h, w)
					}
				},
				quit: func() { _ = sess.Close() },
			}
			stdin = escapes
		}
	}
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr

	if sizeTTY {
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		done := make(chan struct{})
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			for {
				select {
				case <-done:
					return
				case <-winch:
					if w, h, err := term.GetSize(sizeFd); err == nil {
						_ = sess.WindowChange(h, w)
					}
				}
			}
		}()
		defer func() {
			signal.Stop(winch)
			close(done)
			<-finished
		}()
	}

	if cmd == "" {
		err = sess.Shell()
	} else {
		err = sess.Start(cmd)
	}
	if err == nil {
		err = sess.Wait()
	}
	if escapes != nil && escapes.quitted() {
		// "~.": ssh's status for a connection the user ended.
		return exitConnectionError, nil
	}
	return exitStatus(ctx, conn, err)
}

// terminalFd returns the descriptor of v if it is a terminal.
func terminalFd(v any) (int, bool) {
	f, ok := v.(interface{ Fd() uintptr })
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// openSession opens a session channel with the host's SetEnv/SendEnv
// variables, closed when ctx ends; done releases both.
func openSession(ctx context.Context, conn *Conn) (sess *ssh.Session, done func(), err error) {
	sess, err = conn.Client.NewSession()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: cannot open a session: %w", conn.Config.Host, err)
	}
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	applyEnv(sess, conn.Config)
	return sess, func() { stop(); sess.Close() }, nil
}
