package session

import (
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	mterm "github.com/ssh-mosh/ssh-mosh/term"
)

// replayRig is a client loop (newClient, fed through receive) on
// ClientPaths in auto mode, and a server transport the test carries
// datagrams from by hand, on a fake clock.
type replayRig struct {
	t     *testing.T
	now   time.Time
	paths *datapath.ClientPaths
	c     *client
	srv   *roam.Transport[*complete, *userStream]
}

func newReplayRig(t *testing.T) *replayRig {
	t.Helper()
	r := &replayRig{t: t, now: t0}
	key := wire.Key{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}
	udp := newFakeUDP()
	r.paths = datapath.NewClientPaths(udp, datapath.NewPathChooser(datapath.TransportAuto, t0), func() time.Time { return r.now })
	a, peer := net.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, peer) }()
	t.Cleanup(func() { _ = r.paths.Close(); _ = peer.Close(); wg.Wait() })
	if _, err := r.paths.Attach(a); err != nil {
		t.Fatal(err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = null.Close() })
	r.c, err = newClient(ClientConfig{Path: r.paths, Key: key, Port: 60001, In: null, Out: io.Discard}, mterm.Display{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	r.srv, err = roam.NewTransport(roam.Server, key, newComplete(80, 24), newUserStream(), t0, roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// The client's first datagram attaches the server.
	dgs, err := r.c.t.Tick(r.now)
	if err != nil || len(dgs) == 0 {
		t.Fatalf("client's first datagram: %d, %v", len(dgs), err)
	}
	if _, err := r.srv.Recv(dgs[0], r.now, false); err != nil {
		t.Fatal(err)
	}
	return r
}

// serverWrites puts text on the server's screen and returns the datagrams
// the server then sends.
func (r *replayRig) serverWrites(text string) [][]byte {
	r.t.Helper()
	_, _ = mterm.NewEmulatorFor(r.srv.Current().Framebuffer()).Write([]byte(text))
	for range 100 {
		r.now = r.now.Add(10 * time.Millisecond)
		dgs, err := r.srv.Tick(r.now)
		if err != nil {
			r.t.Fatal(err)
		}
		if len(dgs) > 0 {
			return dgs
		}
	}
	r.t.Fatal("the server sent nothing in a second")
	return nil
}

func (r *replayRig) deliver(dg []byte, route datapath.Route) {
	// As the client's loop does: the driver feeds the transport, tells
	// the path which route proved itself, then the client.
	pump := &roam.Pump[*userStream, *complete]{Transport: r.c.t, Path: r.paths, App: r.c}
	pump.Receive(roam.Datagram{Data: dg, From: datapath.RouteAddr{Route: route}}, r.now)
}

// noise is text zlib cannot shrink, so a screen of it needs several
// fragments.
func noise(n int) string {
	var sb strings.Builder
	x := uint32(3)
	for sb.Len() < n {
		x = x*1664525 + 1013904223
		sb.WriteByte(byte('!' + (x>>24)%90))
	}
	return sb.String()
}

// A recorded UDP fragment sent again by anyone who can reach the client's
// port does not bring a session back from SSH to a UDP path that is
// blocked: only an authentic datagram newer than every one seen does.
func TestReplayedFragmentKeepsSSHPath(t *testing.T) {
	checkGoroutines(t)
	r := newReplayRig(t)
	frags := r.serverWrites(noise(1500))
	if len(frags) < 2 {
		t.Fatalf("%d datagrams: the screen fit in one fragment", len(frags))
	}
	for _, f := range frags {
		r.deliver(f, datapath.RouteUDP)
	}
	if r.c.t.RemoteNum() == 0 {
		t.Fatal("the client did not get the server's screen")
	}
	// UDP goes silent (blocked), so auto moves to SSH.
	r.now = r.now.Add(datapath.UDPSilenceConnected)
	r.paths.Wake(r.now)
	if !r.paths.OnSSH() {
		t.Fatal("still on UDP after the silence")
	}
	// Over SSH, the session goes on.
	for _, f := range r.serverWrites("over ssh\r\n") {
		r.deliver(f, datapath.RouteSSH)
	}
	// The recording is replayed by UDP: every fragment but the last, then
	// the whole instruction.
	r.now = r.now.Add(time.Second)
	for _, f := range frags[:len(frags)-1] {
		r.deliver(f, datapath.RouteUDP)
		if !r.paths.OnSSH() {
			t.Fatal("a replayed non-final fragment moved the session back to UDP")
		}
	}
	r.deliver(frags[len(frags)-1], datapath.RouteUDP)
	if !r.paths.OnSSH() {
		t.Fatal("a replayed instruction moved the session back to UDP")
	}
	// A new datagram by UDP does move it back: the test can tell.
	for _, f := range r.serverWrites("udp again\r\n") {
		r.deliver(f, datapath.RouteUDP)
	}
	if r.paths.OnSSH() {
		t.Fatal("a fresh UDP datagram did not bring the session back")
	}
}

// t0 is the fake clock's start.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeUDP stands in for roam.UDPClient as ClientPaths' UDP route.
type fakeUDP struct {
	in   chan roam.Datagram
	sent chan []byte
}

func newFakeUDP() *fakeUDP {
	return &fakeUDP{in: make(chan roam.Datagram, 8), sent: make(chan []byte, 16)}
}
func (f *fakeUDP) Send(b []byte) error            { f.sent <- append([]byte(nil), b...); return nil }
func (f *fakeUDP) Incoming() <-chan roam.Datagram { return f.in }
func (f *fakeUDP) Hop() error                     { return nil }
func (f *fakeUDP) Close() error                   { close(f.in); return nil }

// checkGoroutines fails the test if goroutines started during it are
// still running at its end.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines left running (%d before):\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	})
}
