package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// TmuxControl is a control-mode client (`tmux -C attach`) of a Tmux's
// server: commands go over one pipe and answers come back without starting a
// process, so a capture costs tens of microseconds instead of milliseconds.
// Latency benchmarks poll the screen through it. It is safe for concurrent
// use; commands are serialized.
type TmuxControl struct {
	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *os.File
	r      *bufio.Reader
	closed bool
	waited chan struct{}
	// output: the client hears the pane's output (ControlOutput).
	// outputs counts %output notifications read while reading a reply,
	// which AwaitOutput has not yet returned; outputAt is when the last
	// of them was read.
	output   bool
	outputs  int
	outputAt time.Time
}

// controlReplyTimeout bounds the wait for one reply, so a wedged server
// fails a benchmark instead of hanging it.
const controlReplyTimeout = 10 * time.Second

// ErrControlClosed is returned by a TmuxControl after Close.
var ErrControlClosed = errors.New("testenv: tmux control client closed")

// Control attaches a control-mode client to the session. It is closed at
// cleanup (also by pid); Close may be called earlier.
func (m *Tmux) Control() *TmuxControl {
	m.t.Helper()
	return m.control(false)
}

// ControlOutput is Control for a client that also hears the pane's output
// as it arrives (AwaitOutput), so that a latency probe can sleep until the
// pane wrote something instead of polling the screen: a poll loop keeps
// tmux and the prober running on every CPU, so the program measured
// competes with them for each wake-up, where a user's terminal sits idle
// until output comes.
func (m *Tmux) ControlOutput() *TmuxControl {
	m.t.Helper()
	return m.control(true)
}

func (m *Tmux) control(output bool) *TmuxControl {
	m.t.Helper()
	// The pipe is made by hand, not by StdoutPipe, so that reads can have
	// a deadline.
	pr, pw, err := os.Pipe()
	if err != nil {
		m.t.Fatalf("testenv: tmux control pipe: %v", err)
	}
	// no-output: pane output would arrive as %output notifications
	// between replies; a poller only wants captures.
	args := []string{"-u", "-S", m.socket, "-f", "/dev/null", "-C", "attach-session", "-t", tmuxSession}
	if !output {
		args = append(args, "-f", "no-output")
	}
	cmd := exec.Command(m.bin, args...)
	cmd.Env = m.env
	cmd.Stdout = pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		m.t.Fatalf("testenv: tmux control stdin: %v", err)
	}
	if err := cmd.Start(); err != nil {
		_ = pr.Close()
		_ = pw.Close()
		m.t.Fatalf("testenv: start tmux control client: %v", err)
	}
	_ = pw.Close()
	c := &TmuxControl{
		cmd:    cmd,
		stdin:  stdin,
		stdout: pr,
		r:      bufio.NewReaderSize(pr, 64<<10),
		waited: make(chan struct{}),
		output: output,
	}
	go func() { // owned by Close, which waits for it
		_ = cmd.Wait()
		close(c.waited)
	}()
	m.t.Cleanup(func() { _ = c.Close() })
	// Commands sent before the attach completes run without a client
	// ("no current client"), so wait for the attach's own reply block.
	if err := c.awaitAttach(); err != nil {
		m.t.Fatalf("testenv: tmux control client: %v", err)
	}
	return c
}

// awaitAttach reads up to the end of the reply block of the attach command
// itself, the first block tmux sends a control client.
func (c *TmuxControl) awaitAttach() error {
	if err := c.stdout.SetReadDeadline(time.Now().Add(controlReplyTimeout)); err != nil {
		return fmt.Errorf("testenv: tmux control deadline: %w", err)
	}
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("testenv: tmux control attach: %w", err)
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "%end":
			return nil
		case "%error", "%exit":
			return fmt.Errorf("testenv: tmux control attach failed: %s", strings.TrimSpace(line))
		}
	}
}

// Command sends one tmux command line and returns the lines of its reply.
// A command tmux rejects returns an error holding tmux's message.
func (c *TmuxControl) Command(line string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrControlClosed
	}
	if strings.ContainsAny(line, "\r\n") {
		return nil, fmt.Errorf("testenv: tmux control command holds a newline: %q", line)
	}
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		return nil, fmt.Errorf("testenv: tmux control write: %w", err)
	}
	if err := c.stdout.SetReadDeadline(time.Now().Add(controlReplyTimeout)); err != nil {
		return nil, fmt.Errorf("testenv: tmux control deadline: %w", err)
	}
	return c.readReply()
}

// readReply skips notifications and the blocks of commands this client did
// not send (flags 0, e.g. the attach itself) and returns the body of the
// next block with flags 1. Without the skip every reply would be read one
// command late.
func (c *TmuxControl) readReply() ([]string, error) {
	var body []string
	inBlock, ours := false, false
	var number string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("testenv: tmux control read: %w", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if !inBlock && strings.HasPrefix(line, "%output ") {
			c.noteOutput()
			continue
		}
		if !inBlock {
			if f := strings.Fields(line); len(f) == 4 && f[0] == "%begin" {
				inBlock, ours, number, body = true, f[3] == "1", f[2], body[:0]
			} else if strings.HasPrefix(line, "%exit") {
				return nil, fmt.Errorf("testenv: tmux control client detached: %s", line)
			}
			continue
		}
		// A block ends with %end or %error carrying its own time, number
		// and flags; a screen row that merely starts with "%end" does not
		// match all three.
		if f := strings.Fields(line); len(f) == 4 && (f[0] == "%end" || f[0] == "%error") && f[2] == number {
			inBlock = false
			if !ours {
				continue
			}
			if f[0] == "%error" {
				return nil, fmt.Errorf("testenv: tmux: %s", strings.Join(body, "; "))
			}
			return body, nil
		}
		body = append(body, line)
	}
}

// noteOutput records a %output notification read while waiting for
// something else, for the next AwaitOutput.
func (c *TmuxControl) noteOutput() {
	c.outputs++
	c.outputAt = time.Now()
}

// AwaitOutput blocks until the pane writes something (a %output
// notification; the client must come from ControlOutput) or timeout
// passes, and returns when the notification was read. Output that arrived
// while a command's reply was read counts: the call then returns at once,
// with the time the last such notification was read (what a capture made
// after it shows), and forgets them all.
func (c *TmuxControl) AwaitOutput(timeout time.Duration) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return time.Time{}, ErrControlClosed
	case !c.output:
		return time.Time{}, errors.New("testenv: AwaitOutput on a control client without output (use ControlOutput)")
	}
	if at, ok := c.takeOutput(); ok {
		return at, nil
	}
	if err := c.stdout.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return time.Time{}, fmt.Errorf("testenv: tmux control deadline: %w", err)
	}
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return time.Time{}, fmt.Errorf("testenv: tmux control read: %w", err)
		}
		switch {
		case strings.HasPrefix(line, "%output "):
			return time.Now(), nil
		case strings.HasPrefix(line, "%exit"):
			return time.Time{}, fmt.Errorf("testenv: tmux control client detached: %s", strings.TrimSpace(line))
		}
	}
}

// TakeOutput returns when the last %output notification read while a
// command's reply was read (by Capture, say) arrived, and forgets them all;
// false if none was. A capture reflects that output: a probe that finds
// what it waits for in a capture takes the time from here when there is
// one, not from the AwaitOutput before the capture.
func (c *TmuxControl) TakeOutput() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.takeOutput()
}

// takeOutput is TakeOutput with c.mu held.
func (c *TmuxControl) takeOutput() (time.Time, bool) {
	if c.outputs == 0 {
		return time.Time{}, false
	}
	c.outputs = 0
	return c.outputAt, true
}

// Capture returns the visible screen in the same form as Tmux.Capture.
func (c *TmuxControl) Capture() (string, error) {
	lines, err := c.Command("capture-pane -p -N -t " + tmuxSession)
	if err != nil {
		return "", err
	}
	if len(lines) == 0 {
		return "", nil
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// Cursor returns the cursor position, zero-based from the top left.
func (c *TmuxControl) Cursor() (x, y int, err error) {
	lines, err := c.Command("display-message -p -t " + tmuxSession + " '#{cursor_x} #{cursor_y}'")
	if err != nil {
		return 0, 0, err
	}
	if len(lines) != 1 {
		return 0, 0, fmt.Errorf("testenv: tmux cursor reply %q", lines)
	}
	if _, err := fmt.Sscan(lines[0], &x, &y); err != nil {
		return 0, 0, fmt.Errorf("testenv: tmux cursor reply %q: %w", lines[0], err)
	}
	return x, y, nil
}

// Close detaches the client and waits for it to exit, killing it by pid if
// it lingers. It is safe to call more than once.
func (c *TmuxControl) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	// EOF on stdin makes a control client detach and exit.
	_ = c.stdin.Close()
	select {
	case <-c.waited:
	case <-time.After(2 * time.Second):
		KillPID(c.cmd.Process.Pid)
		<-c.waited
	}
	return c.stdout.Close()
}
