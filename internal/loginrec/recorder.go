package loginrec

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Log takes the syslog lines (a *syslog.Writer; OpenSyslog).
type Log interface {
	Info(m string) error
}

// Config is what a Recorder records with.
type Config struct {
	// User is the session's user name, PID the server's process id (both
	// go into the records as mosh puts them).
	User string
	PID  int
	// Helper writes utmp; nil: no utmp entry (FindHelper found none).
	Helper *Helper
	// Log takes the syslog lines; nil: none.
	Log Log
	// StreamHost is the host recorded for a client whose datagrams come
	// over a stream (the SSH datagram path), which has no IP of its own:
	// the client address of the SSH connection that started the server.
	StreamHost string
	// Timeout bounds each helper run and Ended's wait (0: 5 s).
	Timeout time.Duration
}

// Recorder keeps one session's records. Its methods never block except
// Ended: they state what the records should say, and the Recorder's
// goroutine brings them there, so that a burst of changes (a client
// hopping addresses) costs one helper run for the last of them.
type Recorder struct {
	cfg  Config
	kick chan struct{}
	done chan struct{}

	mu     sync.Mutex
	pty    *os.File // duplicate of the pty master, the helper's stdin
	want   string   // the utmp host wanted; "" for no entry
	lines  []string // syslog lines not yet written
	ended  bool
	closed bool // Ended ran

	// passed, if set (tests), hears of each pass of the goroutine.
	passed chan struct{}
}

// maxLines bounds the syslog lines held while the log is slow; beyond it
// they are dropped (the records are a courtesy, the session is not).
const maxLines = 64

// New starts a Recorder and logs the session's begin.
func New(cfg Config) *Recorder { return newRecorder(cfg, nil) }

func newRecorder(cfg Config, passed chan struct{}) *Recorder {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	r := &Recorder{cfg: cfg, kick: make(chan struct{}, 1), done: make(chan struct{}), passed: passed}
	r.logf("user %s session begin", cfg.User)
	go r.run()
	return r
}

// Started gives the Recorder the session's terminal: pty is a duplicate
// of its master, the Recorder's to close (close-on-exec, so the program
// does not inherit it). The terminal is recorded as unattached until a
// client's state arrives.
func (r *Recorder) Started(pty *os.File) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended || r.pty != nil {
		_ = pty.Close()
		return
	}
	r.pty = pty
	if r.want == "" {
		r.want = r.unattached()
	}
	r.poke()
}

// Connected records a client at addr: "IP via mosh [PID]", and a syslog
// line. The caller reports each new address, not each datagram.
func (r *Recorder) Connected(addr net.Addr) {
	host := r.host(addr)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.want = fmt.Sprintf("%s via mosh [%d]", host, r.cfg.PID)
	r.logf("user %s connected from host: %s", r.cfg.User, host)
	r.poke()
}

// Detached records that no client has been heard from for a while
// (mosh: 30 s): "mosh [PID]".
func (r *Recorder) Detached() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.want = r.unattached()
	r.poke()
}

// Ended removes the utmp entry, logs the session's end and waits (at most
// the Config's Timeout) until both are done. It must run before the pty
// master closes: the helper finds the entry by the terminal's name.
func (r *Recorder) Ended() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed, r.ended, r.want = true, true, ""
	r.logf("user %s session end", r.cfg.User)
	r.poke()
	r.mu.Unlock()
	t := time.NewTimer(r.cfg.Timeout)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
	}
}

func (r *Recorder) unattached() string { return fmt.Sprintf("mosh [%d]", r.cfg.PID) }

// host is what the records name a client at addr by: its IP (mosh's
// numeric host), or StreamHost for a stream's pseudo-address.
func (r *Recorder) host(addr net.Addr) string {
	if a, ok := addr.(*net.UDPAddr); ok && a.IP != nil {
		if v4 := a.IP.To4(); v4 != nil {
			return v4.String()
		}
		return a.IP.String()
	}
	if r.cfg.StreamHost != "" {
		return r.cfg.StreamHost
	}
	return "ssh"
}

// logf queues a syslog line; r.mu is held.
func (r *Recorder) logf(format string, args ...any) {
	if r.cfg.Log == nil || len(r.lines) >= maxLines {
		return
	}
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

// poke wakes the goroutine; r.mu is held.
func (r *Recorder) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// run brings the records to what the Recorder was told, until Ended.
func (r *Recorder) run() {
	defer close(r.done)
	have := ""
	for range r.kick {
		r.mu.Lock()
		lines, want, pty, ended := r.lines, r.want, r.pty, r.ended
		r.lines = nil
		r.mu.Unlock()
		for _, l := range lines {
			_ = r.cfg.Log.Info(l)
		}
		if pty != nil && r.cfg.Helper != nil && want != have {
			// As mosh-server: the old entry goes (a logout in wtmp) before
			// the new one comes.
			if have != "" {
				r.runHelper(pty, r.cfg.Helper.Del)
			}
			if want != "" {
				r.runHelper(pty, r.cfg.Helper.Add(want))
			}
			have = want
		}
		if ended {
			if pty != nil {
				_ = pty.Close()
			}
			return
		}
		if r.passed != nil {
			r.passed <- struct{}{}
		}
	}
}

// runHelper runs the helper with the pty master as its standard input and
// output, as libutempter and libulog do. A failure leaves the records as
// they were; there is no one to tell but the debug log, and mosh does not.
func (r *Recorder) runHelper(pty *os.File, args []string) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.cfg.Helper.Path, args...)
	cmd.Stdin, cmd.Stdout = pty, pty
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	_ = cmd.Run()
}
