package roam

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// A state too big for one datagram leaves as several fragments, each within
// the MTU, and is rebuilt whatever order they arrive in.
func TestLargeStateFragmentsWithinMTU(t *testing.T) {
	for _, mtu := range []int{wire.MTUv4, wire.MTUv6, wire.MTUFallback} {
		p := newPair(t, Config{})
		p.handshake()
		p.client.SetMTU(mtu)
		p.advance(p.client.SendInterval())
		// Incompressible text, so zlib cannot fit it in one fragment.
		var sb strings.Builder
		x := uint32(1)
		for sb.Len() < 6000 {
			x = x*1664525 + 1013904223
			sb.WriteByte(byte('!' + (x>>24)%90))
		}
		p.client.Current().push(sb.String())
		dgs, err := p.client.Tick(p.now)
		if err != nil {
			t.Fatal(err)
		}
		if len(dgs) < 4000/wire.FragmentDataSize(mtu) {
			t.Fatalf("mtu %d: %d datagrams for 6000 bytes", mtu, len(dgs))
		}
		for i, dg := range dgs {
			if len(dg) > mtu {
				t.Fatalf("mtu %d: datagram %d is %d bytes", mtu, i, len(dg))
			}
		}
		for i := len(dgs) - 1; i >= 0; i-- {
			info, err := p.server.Recv(dgs[i], p.now, false)
			// Delivered last first: the middle ones are late, kept for
			// assembly but reported as proving nothing.
			late := i > 0 && i < len(dgs)-1
			if err != nil && !(late && errors.Is(err, ErrReplayed)) {
				t.Fatalf("mtu %d: fragment %d: %v", mtu, i, err)
			}
			if info.NewState != (i == 0) {
				t.Fatalf("mtu %d: fragment %d: NewState %v", mtu, i, info.NewState)
			}
		}
		if got := p.server.RemoteDiff(); !bytes.HasSuffix(got, []byte(sb.String())) {
			t.Fatalf("mtu %d: server got %d bytes, not the state", mtu, len(got))
		}
	}
}

func TestSetMTUIgnoresUselessValues(t *testing.T) {
	p := newPair(t, Config{})
	p.client.SetMTU(10)
	if p.client.MTU() != wire.MTUv4 {
		t.Fatalf("mtu %d", p.client.MTU())
	}
	if _, err := NewTransport(Client, testKey, &logState{}, &valState{}, t0, Config{MTU: 20}); err == nil {
		t.Fatal("config with a 20-byte MTU accepted")
	}
}

func TestListenUDPv6(t *testing.T) {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	_ = c.Close()
	srv, err := ListenUDP("::1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, srv)
	if srv.MTU() != wire.MTUv6 {
		t.Fatalf("mtu %d, want the IPv6 one", srv.MTU())
	}
	cl, err := DialUDP(srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, cl)
	if cl.MTU() != wire.MTUv6 {
		t.Fatalf("client mtu %d", cl.MTU())
	}
	if err := cl.Send([]byte("v6")); err != nil {
		t.Fatal(err)
	}
	if d := recvOne(t, srv); string(d.Data) != "v6" {
		t.Fatalf("got %q", d.Data)
	}
}

// bigPush makes the client's next state an incompressible text of n bytes,
// so it leaves as several fragments.
func bigPush(p *pair, n int) {
	var sb strings.Builder
	x := uint32(7)
	for sb.Len() < n {
		x = x*1664525 + 1013904223
		sb.WriteByte(byte('!' + (x>>24)%90))
	}
	p.client.Current().push(sb.String())
}

// A fragment that is not newer than every datagram seen, and completes
// nothing, is a replay: reported as ErrReplayed, never as Newest, so no
// caller takes it as proof that its path works.
func TestStaleFragmentIsReplay(t *testing.T) {
	p := newPair(t, Config{})
	p.handshake()
	p.advance(p.client.SendInterval())
	bigPush(p, 6000)
	dgs, err := p.client.Tick(p.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(dgs) < 3 {
		t.Fatalf("%d datagrams, want several fragments", len(dgs))
	}
	replayed := p.server.Stats().Replayed
	if info, err := p.server.Recv(dgs[1], p.now, false); err != nil || !info.Newest || info.NewState {
		t.Fatalf("first fragment: %+v %v", info, err)
	}
	// The same fragment again, and an older one of the same instruction.
	for _, i := range []int{1, 0, 1} {
		info, err := p.server.Recv(dgs[i], p.now, false)
		if !errors.Is(err, ErrReplayed) || info.Newest || info.NewState || !info.Authentic {
			t.Fatalf("stale fragment %d: %+v %v, want ErrReplayed", i, info, err)
		}
	}
	if got := p.server.Stats().Replayed - replayed; got != 3 {
		t.Fatalf("Replayed counted %d, want 3", got)
	}
	// The instruction still completes: the late fragment 0 was kept.
	var last RecvInfo
	for _, dg := range dgs[2:] {
		if last, err = p.server.Recv(dg, p.now, false); err != nil {
			t.Fatal(err)
		}
	}
	if !last.NewState {
		t.Fatalf("instruction not completed: %+v", last)
	}
	// After completion, a recorded middle fragment is a replay too.
	if info, err := p.server.Recv(dgs[1], p.now.Add(time.Minute), false); !errors.Is(err, ErrReplayed) || info.Newest {
		t.Fatalf("fragment replayed a minute later: %+v %v", info, err)
	}
}
