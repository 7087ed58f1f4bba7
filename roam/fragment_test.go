package roam

import (
	"bytes"
	"net"
	"strings"
	"testing"

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
			if err != nil {
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
