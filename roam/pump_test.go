package roam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// stack is a client and a server, each with its Pump, over an in-memory
// network, with the applications: the client types; the server shows the
// upper-cased text typed so far.
type stack struct {
	t              *testing.T
	client         *clientT
	server         *serverT
	cpath, spath   Path
	clientEv       chan func(time.Time)
	mu             sync.Mutex
	replica        string    // client's view of the server's screen
	firstServerGot time.Time // when the server app first saw input
	firstEcho      time.Time // when the client first saw the echo
	errs           chan error
}

func newStack(t *testing.T, cfg Config, imp *netem.Config) *stack {
	a, b := netem.Pipe()
	if imp != nil {
		ia, err := netem.Impair(a, *imp)
		if err != nil {
			t.Fatal(err)
		}
		simp := *imp
		simp.Seed++
		ib, err := netem.Impair(b, simp)
		if err != nil {
			t.Fatal(err)
		}
		a, b = ia, ib
	}
	opened := false
	cpath, err := NewClientPath(netem.PipeAddr("pipe-b"), wire.MTUv4, func() (net.PacketConn, error) {
		if opened {
			return nil, errors.New("the in-memory network has one client port")
		}
		opened = true
		return a, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c, err := NewTransport(Client, testKey, &logState{}, &valState{}, now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewTransport(Server, testKey, &valState{}, &logState{}, now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{t: t, client: c, server: s, cpath: cpath, spath: NewServerPath(b, wire.MTUv4),
		clientEv: make(chan func(time.Time)), errs: make(chan error, 2)}
}

// run starts both pumps; they end with the shutdown handshake.
func (st *stack) run(ctx context.Context) {
	var typed []byte
	serverPump := &Pump[*valState, *logState]{
		Transport: st.server,
		Path:      st.spath,
		OnRemote: func(now time.Time) {
			typed = append(typed, st.server.RemoteDiff()...)
			st.server.Current().v = bytes.ToUpper(typed)
			st.mu.Lock()
			if st.firstServerGot.IsZero() && len(typed) > 0 {
				st.firstServerGot = now
			}
			st.mu.Unlock()
		},
		Done: func(time.Time) bool {
			return st.server.RemoteNum() == shutdownNum && st.server.CounterpartyShutdownAckSent()
		},
	}
	clientPump := &Pump[*logState, *valState]{
		Transport: st.client,
		Path:      st.cpath,
		Events:    st.clientEv,
		OnRemote: func(now time.Time) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.replica = string(st.client.Remote().v)
			if st.firstEcho.IsZero() && st.replica != "" {
				st.firstEcho = now
			}
		},
		Done: func(now time.Time) bool {
			return st.client.ShutdownInProgress() &&
				(st.client.ShutdownAcknowledged() || st.client.ShutdownAckTimedOut(now))
		},
	}
	go func() { st.errs <- serverPump.Run(ctx) }()
	go func() { st.errs <- clientPump.Run(ctx) }()
}

func (st *stack) typeKeys(s string) time.Time {
	at := make(chan time.Time)
	st.clientEv <- func(now time.Time) { st.client.Current().push(s); at <- now }
	return <-at
}

// waitReplica sleeps on the (fake) clock until the client shows want.
func (st *stack) waitReplica(want string, limit time.Duration) {
	st.t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		st.mu.Lock()
		got := st.replica
		st.mu.Unlock()
		if got == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	st.t.Fatalf("client replica never became %q", want)
}

// finish runs the shutdown handshake and waits for both pumps and paths.
func (st *stack) finish() {
	st.t.Helper()
	st.clientEv <- func(now time.Time) { st.client.StartShutdown(now) }
	for range 2 {
		if err := <-st.errs; err != nil {
			st.t.Errorf("pump: %v", err)
		}
	}
	if !st.client.ShutdownAcknowledged() {
		st.t.Errorf("shutdown not acknowledged (timed out instead)")
	}
	_ = st.cpath.Close()
	_ = st.spath.Close()
}

func TestPumpIdleKeystrokeLeavesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStack(t, Config{}, nil)
		st.run(t.Context())
		time.Sleep(5 * time.Second) // let the opening exchange settle
		typedAt := st.typeKeys("x")
		st.waitReplica("X", time.Second)
		st.mu.Lock()
		got, echo := st.firstServerGot.Sub(typedAt), st.firstEcho.Sub(typedAt)
		st.mu.Unlock()
		if got != 0 || echo != 0 {
			t.Errorf("idle link: keystroke reached the server after %v and its echo the client after %v, want both at once", got, echo)
		}
		st.finish()
	})
}

func TestPumpStrictMoshPacingDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStack(t, Config{StrictMoshPacing: true}, nil)
		st.run(t.Context())
		time.Sleep(5 * time.Second)
		typedAt := st.typeKeys("x")
		st.waitReplica("X", time.Second)
		st.mu.Lock()
		echo := st.firstEcho.Sub(typedAt)
		st.mu.Unlock()
		if echo < MoshClientSendMinDelay+MoshSendMinDelay {
			t.Errorf("strict pacing echoed after %v, want at least the client's and the server's SEND_MINDELAY", echo)
		}
		st.finish()
	})
}

func TestPumpConvergesOverImpairedNetwork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStack(t, Config{}, &netem.Config{Delay: 50 * time.Millisecond, Jitter: 10 * time.Millisecond,
			Loss: 0.2, Duplicate: 0.05, Reorder: 0.05, Seed: 7})
		st.run(t.Context())
		want := ""
		for i := range 40 {
			k := string(rune('a' + i%26))
			st.typeKeys(k)
			want += k
			time.Sleep(time.Duration(i%7) * 13 * time.Millisecond)
		}
		st.waitReplica(string(bytes.ToUpper([]byte(want))), time.Minute)
		st.finish()
	})
}

// pumpKeys runs a client Pump with app (nil: none) on path, in a synctest
// bubble, has it type keys, lets a second pass and stops it; it returns the
// client's transport.
func pumpKeys(t *testing.T, path interface {
	Send(b []byte) error
	Incoming() <-chan Datagram
}, app App, keys string) *Transport[*logState, *valState] {
	t.Helper()
	c, err := NewTransport(Client, testKey, &logState{}, &valState{}, time.Now(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan func(time.Time))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- (&Pump[*logState, *valState]{Transport: c, Path: path, App: app, Events: events}).Run(ctx)
	}()
	events <- func(time.Time) { c.Current().push(keys) }
	time.Sleep(time.Second)
	synctest.Wait()
	cancel()
	<-done
	return c
}

// mtuPath is an in-memory path with the MTU a test sets, recording the
// size of each datagram sent.
type mtuPath struct {
	mu    sync.Mutex
	mtu   int
	sizes []int
	in    chan Datagram
}

func (p *mtuPath) Send(b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sizes = append(p.sizes, len(b))
	return nil
}
func (p *mtuPath) Incoming() <-chan Datagram { return p.in }
func (p *mtuPath) MTU() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mtu
}

// TestPumpTakesPathMTU: the driver gives the transport the path's MTU at
// every wake-up, so an IPv6 socket's smaller MTU and the EMSGSIZE fallback
// (wire.MTUFallback) shape the next datagrams.
func TestPumpTakesPathMTU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, mtu := range []int{wire.MTUv6, wire.MTUFallback} {
			path := &mtuPath{mtu: mtu, in: make(chan Datagram)}
			// Incompressible keys: a state far beyond one datagram.
			var b bytes.Buffer
			x := uint32(1)
			for b.Len() < 8000 {
				x = x*1664525 + 1013904223
				b.WriteByte(byte('!' + (x>>24)%90))
			}
			c := pumpKeys(t, path, nil, b.String())
			if got := c.MTU(); got != mtu {
				t.Errorf("transport MTU %d, want the path's %d", got, mtu)
			}
			path.mu.Lock()
			big := 0
			for _, n := range path.sizes {
				if n > mtu {
					t.Errorf("a %d-byte datagram on a path of MTU %d", n, mtu)
				}
				big = max(big, n)
			}
			path.mu.Unlock()
			if big < mtu*3/4 {
				t.Errorf("largest datagram %d bytes: the state was not fragmented to MTU %d", big, mtu)
			}
		}
	})
}

// orderLog records, in order, what a Pump did with its datagrams.
type orderLog struct {
	mu  sync.Mutex
	evs []string
}

func (o *orderLog) add(what string, d []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.evs = append(o.evs, fmt.Sprintf("%s %x", what, d))
}

// orderPath is an in-memory path that logs each send.
type orderPath struct {
	log *orderLog
	in  chan Datagram
}

func (p *orderPath) Send(b []byte) error       { p.log.add("send", b); return nil }
func (p *orderPath) Incoming() <-chan Datagram { return p.in }

// orderApp is a TracingApp that logs Arriving, Received, Sending and Sent.
type orderApp struct{ log *orderLog }

func (a *orderApp) Step(time.Time) (bool, error)                 { return false, nil }
func (a *orderApp) Sending(d []byte)                             { a.log.add("sending", d) }
func (a *orderApp) Sent(d []byte, _ error, _ time.Time)          { a.log.add("sent", d) }
func (a *orderApp) Settle(time.Time) (bool, error)               { return false, nil }
func (a *orderApp) NextWake(time.Time) time.Time                 { return time.Time{} }
func (a *orderApp) Received(d Datagram, _ RecvInfo, _ time.Time) { a.log.add("received", d.Data) }
func (a *orderApp) Arriving(d Datagram)                          { a.log.add("arriving", d.Data) }
func (a *orderApp) Sources() Sources                             { return Sources{} }
func (a *orderApp) Handle(Event, time.Time) (bool, error)        { return false, nil }

// TestPumpTellsTracingAppBeforeEachSend: a TracingApp hears of each
// datagram just before the path sends it and of the result just after,
// so a trace can time the send alone.
func TestPumpTellsTracingAppBeforeEachSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &orderLog{}
		pumpKeys(t, &orderPath{log: log, in: make(chan Datagram)}, &orderApp{log}, "k")
		log.mu.Lock()
		defer log.mu.Unlock()
		if len(log.evs) == 0 || len(log.evs)%3 != 0 {
			t.Fatalf("log %q: want sending, send, sent for each datagram", log.evs)
		}
		for i := 0; i < len(log.evs); i += 3 {
			d := strings.TrimPrefix(log.evs[i], "sending ")
			want := []string{"sending " + d, "send " + d, "sent " + d}
			if diff := cmp.Diff(want, log.evs[i:i+3]); diff != "" {
				t.Errorf("datagram %d (-want +got):\n%s", i/3, diff)
			}
		}
	})
}

// TestPumpTellsTracingAppOfEachArrival: a TracingApp hears of each datagram
// as the loop gets it, before the transport opens it: a forged one too
// (which Received never sees), and an authentic one before Received, so a
// trace can time the wake-up apart from the decryption.
func TestPumpTellsTracingAppOfEachArrival(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		peer, err := NewTransport(Client, testKey, &logState{}, &valState{}, time.Now(), Config{})
		if err != nil {
			t.Fatal(err)
		}
		peer.Current().push("k")
		dgs, err := peer.Tick(time.Now())
		if err != nil || len(dgs) == 0 {
			t.Fatalf("the peer sent %d datagrams (%v), want its state", len(dgs), err)
		}
		srv, err := NewTransport(Server, testKey, &valState{}, &logState{}, time.Now(), Config{})
		if err != nil {
			t.Fatal(err)
		}
		log := &orderLog{}
		in := make(chan Datagram, 2)
		forged := bytes.Repeat([]byte{0x5a}, len(dgs[0]))
		in <- Datagram{Data: forged}
		in <- Datagram{Data: dgs[0]}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- (&Pump[*valState, *logState]{Transport: srv, Path: &orderPath{log: log, in: in}, App: &orderApp{log}}).Run(ctx)
		}()
		synctest.Wait()
		cancel()
		<-done
		log.mu.Lock()
		defer log.mu.Unlock()
		var got []string
		for _, ev := range log.evs {
			if strings.HasPrefix(ev, "arriving ") || strings.HasPrefix(ev, "received ") {
				got = append(got, ev)
			}
		}
		want := []string{
			fmt.Sprintf("arriving %x", forged),
			fmt.Sprintf("arriving %x", dgs[0]),
			fmt.Sprintf("received %x", dgs[0]),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("arrivals and receipts (-want +got):\n%s", diff)
		}
	})
}
