package session

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
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

	out      *roam.Feed
	exited   chan struct{}
	closeOut sync.Once
}

func newFakeProgram() *fakeProgram {
	return &fakeProgram{out: roam.NewFeed(16), exited: make(chan struct{})}
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

func (p *fakeProgram) Output() *roam.Feed { return p.out }

// DupMaster stands in for the pty master's duplicate (masterDuper).
func (p *fakeProgram) DupMaster() (*os.File, error) { return os.Open(os.DevNull) }
func (p *fakeProgram) Exited() <-chan struct{}      { return p.exited }
func (p *fakeProgram) ExitStatus() wire.ExitStatus  { return p.status }
func (p *fakeProgram) closeTerminal()               { p.closeOut.Do(p.out.Close) }
func (p *fakeProgram) print(s string)               { p.out.Send([]byte(s)) }
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

// exitLeavingTerminal ends the program with code while its terminal stays
// open, as when a background job it started holds it.
func (p *fakeProgram) exitLeavingTerminal(code uint8) {
	p.status = wire.ExitStatus{Code: code}
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

// memPair is our server (serve, on a fakeProgram) and a client path that
// reaches it, over netem's in-memory pipe, each side's sends impairable.
// Build it inside synctest.Test.
type memPair struct {
	t       *testing.T
	prog    *fakeProgram
	key     wire.Key
	lossy   *netem.Conn // the server's sends
	cliLoss *netem.Conn // the client's sends
	cliPath *roam.UDPClient
	served  chan error
	ctx     context.Context
	cancel  context.CancelFunc
	closers []func() error
	start   time.Time
}

// newMemPair starts the server with cfg (Path, Key and size are set here);
// srvMuted and cliMuted black out that side's sends from the start.
func newMemPair(t *testing.T, cfg ServerConfig, srvMuted, cliMuted bool) *memPair {
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
	lossy.Blackout(srvMuted)
	cliLoss.Blackout(cliMuted)
	key, err := wire.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &memPair{t: t, prog: newFakeProgram(), key: key, lossy: lossy, cliLoss: cliLoss,
		served: make(chan error, 1), ctx: ctx, cancel: cancel, start: time.Now()}
	srvPath := roam.NewServerPath(lossy, wire.MTUv4)
	cfg.Path, cfg.Key, cfg.Width, cfg.Height = srvPath, key, 80, 24
	go func() { m.served <- serve(ctx, cfg, m.prog.start, clock{now: time.Now}) }()
	m.cliPath = pipeClientPath(t, cliLoss, srvConn.LocalAddr())
	m.closers = append(m.closers, srvPath.Close, m.cliPath.Close)
	return m
}

// pipeClientPath is a roam client path on conn, one end of an in-memory
// pipe whose other end is at addr (it cannot hop: the pipe has one port).
func pipeClientPath(t *testing.T, conn net.PacketConn, addr net.Addr) *roam.UDPClient {
	t.Helper()
	opened := false
	p, err := roam.NewClientPath(addr, wire.MTUv4, func() (net.PacketConn, error) {
		if opened {
			return nil, errors.New("no second socket in this test")
		}
		opened = true
		return conn, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// close ends the server and releases what the pair holds; a test that
// took the server's result puts it back first.
func (m *memPair) close() {
	m.cancel()
	<-m.served
	for _, c := range m.closers {
		_ = c()
	}
}

// since is the fake time since the pair started.
func (m *memPair) since() time.Duration { return time.Since(m.start) }

// serverRig is a memPair with a bare client transport on its own
// roam.Pump, for the server's rules.
type serverRig struct {
	*memPair
	ct     *roam.Transport[*userStream, *complete]
	events chan func(time.Time)
	pumped chan error
}

// newServerRig starts the server with cfg and the client; with muted,
// nothing the client sends arrives.
func newServerRig(t *testing.T, cfg ServerConfig, muted bool) *serverRig {
	t.Helper()
	r := &serverRig{memPair: newMemPair(t, cfg, false, muted), events: make(chan func(time.Time)), pumped: make(chan error, 1)}
	var err error
	r.ct, err = roam.NewTransport(roam.Client, r.key, newUserStream(), newComplete(80, 24), time.Now(), roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	r.ct.Current().Offer(clientFeatures)
	r.ct.Current().PushResize(80, 24)
	pump := &roam.Pump[*userStream, *complete]{
		Transport: r.ct, Path: r.cliPath, Events: r.events,
		Done: func(now time.Time) bool {
			return r.ct.CounterpartyShutdownAckSent() ||
				r.ct.ShutdownInProgress() && (r.ct.ShutdownAcknowledged() || r.ct.ShutdownAckTimedOut(now))
		},
	}
	go func() { r.pumped <- pump.Run(r.ctx) }()
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

// row0 is row 0 of the client's copy of the server's screen.
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

// close ends the client pump and the pair.
func (r *serverRig) close() {
	r.cancel()
	<-r.pumped
	r.memPair.close()
}
