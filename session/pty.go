package session

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// program is what the server loop needs of the application it serves: its
// terminal's input and output, its size, its end and its exit status. The
// shipped one is a child process on a pty (ptyProgram); tests put a fake
// behind it, so the server's rules run under a fake clock.
type program interface {
	// Write gives the program keys (or answers to its terminal queries).
	Write(b []byte) (int, error)
	// Resize changes the terminal's size.
	Resize(w, h int) error
	// Output carries the program's output; it is closed when the
	// program's side of the terminal has closed.
	Output() *roam.Feed
	// Exited is closed once the program has ended and ExitStatus is set.
	Exited() <-chan struct{}
	ExitStatus() wire.ExitStatus
	// Hangup ends the session for the program, as a terminal hang-up does;
	// it returns once Output is closed.
	Hangup()
}

// startProgram starts the program of cfg on a terminal of w×h.
type startProgram func(cfg *ServerConfig, w, h int, log *slog.Logger) (program, error)

// ptyProgram is a child process on a pty.
type ptyProgram struct {
	ptmx  master
	out   *roam.Feed
	child *childWatch
}

// startPty starts cfg's program on a new pty of w×h.
func startPty(cfg *ServerConfig, w, h int, log *slog.Logger) (program, error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("opening a pty: %w", err)
	}
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(w), Rows: uint16(h)}); err != nil {
		ptmx.Close()
		return nil, fmt.Errorf("sizing the pty: %w", err)
	}
	// Best effort, as in mosh-server: a pty without IUTF8 still works.
	_ = setUTF8Erase(int(tty.Fd()))
	path := cfg.Path0
	if !strings.Contains(path, "/") {
		if p, err := lookPathIn(path, cfg.Env); err == nil {
			path = p
		}
	}
	cmd := &exec.Cmd{
		Path:   path,
		Args:   cfg.Argv,
		Env:    cfg.Env,
		Dir:    cfg.Dir,
		Stdin:  tty,
		Stdout: tty,
		Stderr: tty,
		SysProcAttr: &syscall.SysProcAttr{
			Setsid:  true,
			Setctty: true,
		},
	}
	if cmd.Dir != "" {
		if st, err := os.Stat(cmd.Dir); err != nil || !st.IsDir() {
			cmd.Dir = ""
		}
	}
	if err := cmd.Start(); err != nil {
		ptmx.Close()
		return nil, fmt.Errorf("starting %s: %w", cfg.Path0, err)
	}
	var m master = fileMaster{ptmx}
	if p, err := pollable(ptmx); err == nil {
		m = fileMaster{p}
		if f, err := nbio.TakeFile(p); err == nil {
			m = f // keys and echo without a scheduler hand-off
		}
	} else {
		// Still a working pty; only the hang-up waits for the program's
		// next output (see Hangup).
		log.Info("pty master stays blocking", "err", err)
	}
	p := &ptyProgram{ptmx: m, out: roam.NewFeed(4), child: watchChild(cmd)}
	go readPty(m, p.out)
	return p, nil
}

// master is the pty master: an nbio.File that took it, or, where that
// failed, the file itself.
type master interface {
	io.ReadWriteCloser
	Control(fn func(fd uintptr)) error
}

// fileMaster is an *os.File as a master.
type fileMaster struct{ *os.File }

func (f fileMaster) Control(fn func(fd uintptr)) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return sc.Control(fn)
}

func (p *ptyProgram) Write(b []byte) (int, error) { return p.ptmx.Write(b) }
func (p *ptyProgram) Resize(w, h int) error       { return setWinsize(p.ptmx, w, h) }
func (p *ptyProgram) Output() *roam.Feed          { return p.out }
func (p *ptyProgram) Exited() <-chan struct{}     { return p.child.done }

// DupMaster duplicates the pty master, close-on-exec (for the login
// records' helper, which finds the terminal from it).
func (p *ptyProgram) DupMaster() (*os.File, error) {
	var nfd int
	var derr error
	if err := p.ptmx.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("duplicating the pty master: %w", derr)
	}
	return os.NewFile(uintptr(nfd), "ptmx"), nil
}
func (p *ptyProgram) ExitStatus() wire.ExitStatus { return p.child.status }

// Hangup hangs up, as sshd and mosh-server do when a session ends: it
// closes the pty master, and the kernel sends SIGHUP (and SIGCONT) to the
// program's session leader, then to its foreground job when that leader
// exits. Nothing is killed: an ordinary shell exits on the hang-up, and a
// program that catches SIGHUP to save its work gets to finish it, however
// long that takes. The program is reaped in the background when it ends
// (a daemon exits first, and its orphans go to init).
func (p *ptyProgram) Hangup() {
	// ptmx waits in the runtime poller (see pollable), so Close closes
	// the descriptor now, and the blocked read in readPty returns.
	_ = p.ptmx.Close()
	for range p.out.C {
	}
	// watchChild owns the program's Wait and reaps it when it ends.
}

// pollable returns f as a non-blocking file owned by the runtime poller
// (f is closed). Closing such a file closes its descriptor at once; a
// goroutine blocked in read(2) on a blocking one would hold the master
// open, and the pty would not hang up until the program next wrote.
// creack/pty hands out blocking files (its ioctls go through Fd).
func pollable(f *os.File) (*os.File, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("pty master: %w", err)
	}
	fd := -1
	var dupErr error
	if err := sc.Control(func(raw uintptr) { fd, dupErr = unix.Dup(int(raw)) }); err != nil {
		return nil, fmt.Errorf("pty master: %w", err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("pty master: dup: %w", dupErr)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("pty master: %w", err)
	}
	name := f.Name()
	_ = f.Close()
	return os.NewFile(uintptr(fd), name), nil
}

// setWinsize sizes the pty without Fd, which would turn a poller-owned
// file back to blocking.
func setWinsize(f master, w, h int) error {
	var ioErr error
	if err := f.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(w), Row: uint16(h)})
	}); err != nil {
		return err
	}
	return ioErr
}

// readPty forwards pty output until EOF or EIO (the child's side closed),
// then closes out. It ends when the loop closes the pty.
func readPty(r io.Reader, out *roam.Feed) {
	defer out.Close()
	buf := make([]byte, 16384)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			// The loop handles the output on this goroutine when it is
			// waiting, so the echo leaves before the next read.
			out.Send(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// lookPathIn finds name in the PATH of env.
func lookPathIn(name string, env []string) (string, error) {
	path := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			path = kv[5:]
		}
	}
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in PATH", name)
}
