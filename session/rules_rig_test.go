package session

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// fakeProgram stands in for the pty and the child (the program interface),
// so the server's rules run inside a testing/synctest bubble.
type fakeProgram struct {
	mu      sync.Mutex
	started bool
	written []byte
	sizes   [][2]int
	hungUp  bool
	status  wire.ExitStatus

	out      chan []byte
	exited   chan struct{}
	closeOut sync.Once
}

func newFakeProgram() *fakeProgram {
	return &fakeProgram{out: make(chan []byte, 16), exited: make(chan struct{})}
}

func (p *fakeProgram) start(_ *ServerConfig, w, h int, _ *slog.Logger) (program, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
	p.sizes = append(p.sizes, [2]int{w, h})
	return p, nil
}

func (p *fakeProgram) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.written = append(p.written, b...)
	return len(b), nil
}

func (p *fakeProgram) Resize(w, h int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sizes = append(p.sizes, [2]int{w, h})
	return nil
}

func (p *fakeProgram) Output() <-chan []byte       { return p.out }
func (p *fakeProgram) Exited() <-chan struct{}     { return p.exited }
func (p *fakeProgram) ExitStatus() wire.ExitStatus { return p.status }
func (p *fakeProgram) closeTerminal()              { p.closeOut.Do(func() { close(p.out) }) }
func (p *fakeProgram) print(s string)              { p.out <- []byte(s) }
func (p *fakeProgram) Hangup() {
	p.mu.Lock()
	p.hungUp = true
	p.mu.Unlock()
	p.closeTerminal()
}

// exit ends the program with code after closing its terminal.
func (p *fakeProgram) exit(code uint8) {
	p.status = wire.ExitStatus{Code: code}
	p.closeTerminal()
	close(p.exited)
}

func (p *fakeProgram) typed() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.written...)
}

func (p *fakeProgram) sizeLog() [][2]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][2]int(nil), p.sizes...)
}

// serverRig is our server (serve, on a fakeProgram) and a bare client
// transport on its own roam.Pump, over netem's in-memory pipe; the
// server's side can be blacked out. Build it inside synctest.Test.
type serverRig struct {
	t       *testing.T
	prog    *fakeProgram
	ct      *roam.Transport[*userStream, *complete]
	lossy   *netem.Conn // the server's sends
	cliLoss *netem.Conn // the client's sends
	events  chan func(time.Time)
	served  chan error
	pumped  chan error
	cancel  context.CancelFunc
	closers []func() error
	start   time.Time
}

// newServerRig starts the server with cfg (Path, Key and size are set
// here) and the client; with muted, nothing the client sends arrives.
func newServerRig(t *testing.T, cfg ServerConfig, muted bool) *serverRig {
	t.Helper()
	srvConn, cliConn := netem.Pipe()
	lossy, err := netem.Impair(srvConn, netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cliLoss, err := netem.Impair(cliConn, netem.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cliLoss.Blackout(muted)
	key, err := wire.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &serverRig{t: t, prog: newFakeProgram(), lossy: lossy, cliLoss: cliLoss, events: make(chan func(time.Time)),
		served: make(chan error, 1), pumped: make(chan error, 1), cancel: cancel, start: time.Now()}
	srvPath := roam.NewServerPath(lossy, wire.MTUv4)
	cfg.Path, cfg.Key, cfg.Width, cfg.Height = srvPath, key, 80, 24
	go func() { r.served <- serve(ctx, cfg, r.prog.start, time.Now) }()
	opened := false
	cliPath, err := roam.NewClientPath(srvConn.LocalAddr(), wire.MTUv4, func() (net.PacketConn, error) {
		if opened {
			return nil, errors.New("no second socket in this test")
		}
		opened = true
		return cliLoss, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.closers = append(r.closers, srvPath.Close, cliPath.Close)
	r.ct, err = roam.NewTransport(roam.Client, key, newUserStream(), newComplete(80, 24), time.Now(), roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r.ct.Current().Offer(clientFeatures)
	r.ct.Current().PushResize(80, 24)
	pump := &roam.Pump[*userStream, *complete]{
		Transport: r.ct, Path: cliPath, Events: r.events,
		Done: func(now time.Time) bool {
			return r.ct.CounterpartyShutdownAckSent() ||
				r.ct.ShutdownInProgress() && (r.ct.ShutdownAcknowledged() || r.ct.ShutdownAckTimedOut(now))
		},
	}
	go func() { r.pumped <- pump.Run(ctx) }()
	return r
}

// do runs f on the client pump's goroutine and waits for it.
func (r *serverRig) do(f func(now time.Time)) {
	done := make(chan struct{})
	select {
	case r.events <- func(now time.Time) { f(now); close(done) }:
		<-done
	case err := <-r.pumped:
		r.pumped <- err
		r.t.Fatalf("the client pump ended: %v", err)
	}
}

// screen is the client's copy of the server's screen, row 0.
func (r *serverRig) row0() string {
	var s string
	r.do(func(time.Time) {
		fb := r.ct.Remote().Framebuffer()
		var b bytes.Buffer
		for x := range fb.Width() {
			b.WriteString(fb.Cell(0, x).String())
		}
		s = string(bytes.TrimRight(b.Bytes(), " "))
	})
	return s
}

// close ends everything the rig started; the bubble then has nothing left.
func (r *serverRig) close() {
	r.cancel()
	<-r.pumped
	<-r.served
	for _, c := range r.closers {
		_ = c()
	}
}

// since is the fake time since the rig started.
func (r *serverRig) since() time.Duration { return time.Since(r.start) }
