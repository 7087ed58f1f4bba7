package roam

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"golang.org/x/sys/unix"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
)

func recvOne(t *testing.T, p Path) Datagram {
	t.Helper()
	select {
	case d, ok := <-p.Incoming():
		if !ok {
			t.Fatal("incoming closed")
		}
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no datagram within 5 s")
	}
	return Datagram{}
}

func closeAtCleanup(t *testing.T, p Path) {
	t.Cleanup(func() {
		_ = p.Close()
		// Close waits for the readers, so Incoming is closed by now
		// (after what was buffered).
		for range incomingBuffer + 1 {
			if _, ok := <-p.Incoming(); !ok {
				return
			}
		}
		t.Error("Incoming still open after Close")
	})
}

// udpServerClient is a server on loopback and a client of it, both closed
// at cleanup.
func udpServerClient(t *testing.T) (*UDPServer, *UDPClient) {
	t.Helper()
	srv, err := ListenUDP("127.0.0.1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, srv)
	cl, err := DialUDP(srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, cl)
	return srv, cl
}

func TestUDPServerClientRoamAndHop(t *testing.T) {
	srv, err := ListenUDP("127.0.0.1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, srv)
	if srv.MTU() != wire.MTUv4 || srv.Port() == 0 {
		t.Fatalf("mtu %d port %d", srv.MTU(), srv.Port())
	}
	if err := srv.Send([]byte("x")); !errors.Is(err, ErrNoPeer) {
		t.Fatalf("send before any client: %v", err)
	}
	cl, err := DialUDP(srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, cl)

	if err := cl.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	d := recvOne(t, srv)
	if string(d.Data) != "hello" || d.Congested {
		t.Fatalf("server got %q congested=%v", d.Data, d.Congested)
	}
	if !srv.Roam(d.From) || srv.Roam(d.From) {
		t.Fatal("Roam should report a change once")
	}
	if err := srv.Send([]byte("welcome")); err != nil {
		t.Fatal(err)
	}
	if got := recvOne(t, cl); string(got.Data) != "welcome" {
		t.Fatalf("client got %q", got.Data)
	}

	// Hop: the next datagram leaves from a new port; a reply sent to the
	// old port still arrives.
	oldPorts := cl.Ports()
	if err := cl.Hop(); err != nil {
		t.Fatal(err)
	}
	ports := cl.Ports()
	if len(ports) != 2 || ports[0] != oldPorts[0] || ports[1] == ports[0] {
		t.Fatalf("ports after hop %v", ports)
	}
	if err := srv.Send([]byte("to old port")); err != nil {
		t.Fatal(err)
	}
	if got := recvOne(t, cl); string(got.Data) != "to old port" {
		t.Fatalf("old socket: %q", got.Data)
	}
	if err := cl.Send([]byte("from new port")); err != nil {
		t.Fatal(err)
	}
	d = recvOne(t, srv)
	if d.From.(*net.UDPAddr).Port != ports[1] {
		t.Fatalf("sent from %v, want port %d", d.From, ports[1])
	}
	srv.Roam(d.From)
	if err := srv.Send([]byte("to new port")); err != nil {
		t.Fatal(err)
	}
	if got := recvOne(t, cl); string(got.Data) != "to new port" {
		t.Fatalf("new socket: %q", got.Data)
	}
}

func TestUDPClientPrunesSockets(t *testing.T) {
	_, cl := udpServerClient(t)
	now := time.Unix(1000, 0)
	cl.mu.Lock()
	cl.now = func() time.Time { return now }
	cl.mu.Unlock()
	for range 14 {
		if err := cl.Hop(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(cl.Ports()); n != maxPortsOpen {
		t.Fatalf("%d sockets open, want %d", n, maxPortsOpen)
	}
	newest := cl.Ports()[maxPortsOpen-1]
	now = now.Add(maxOldSocketAge + time.Second)
	if err := cl.Send([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if ps := cl.Ports(); len(ps) != 1 || ps[0] != newest {
		t.Fatalf("after a minute on the newest socket: %v, want only %d", ps, newest)
	}
}

func TestListenUDPPortRange(t *testing.T) {
	busy, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	p := busy.LocalAddr().(*net.UDPAddr).Port
	if p >= 65535 {
		t.Skip("ephemeral port at the top of the range")
	}
	srv, err := ListenUDP("127.0.0.1", p, p+1)
	if err != nil {
		t.Skipf("port %d taken by someone else: %v", p+1, err)
	}
	closeAtCleanup(t, srv)
	if srv.Port() != p+1 {
		t.Fatalf("bound %d, want the first free port %d", srv.Port(), p+1)
	}
	_, err = ListenUDP("127.0.0.1", p, p)
	if err == nil {
		t.Fatal("bound a busy single port")
	}
	// One line, the OS's words, what to do: no Go listener text.
	want := fmt.Sprintf("no free UDP port %d on 127.0.0.1 or 0.0.0.0 (Address already in use): free one, or choose others (mosh-server -p, ssh-mosh --port)", p)
	if !errors.As(err, new(*PortsBusyError)) || err.Error() != want {
		t.Errorf("busy port: %q, want %q", err, want)
	}
	for _, r := range [][2]int{{5, 4}, {0, 10}, {1, 70000}} {
		if _, err := ListenUDP("", r[0], r[1]); err == nil {
			t.Errorf("range %v accepted", r)
		}
	}
}

func TestUDPSocketOptionsAndECN(t *testing.T) {
	srv, err := ListenUDP("127.0.0.1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeAtCleanup(t, srv)
	// The path took the socket (nbio.TakeUDP); its options stay.
	u, ok := srv.pc.(*nbio.UDP)
	if !ok {
		t.Fatalf("the path's socket is a %T, not taken", srv.pc)
	}
	var tos int
	var fragErr error
	_ = u.Control(func(fd uintptr) {
		tos, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TOS)
		fragErr = fragmentsAllowed(int(fd), false)
	})
	if tos != ectZero || fragErr != nil {
		t.Fatalf("IP_TOS %#x; fragments: %v", tos, fragErr)
	}

	// A sender that marks its datagrams CE (as a congested router would).
	ce, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ce.Close()
	crc, _ := ce.SyscallConn()
	_ = crc.Control(func(fd uintptr) { _ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TOS, 0x03) })
	if _, err := ce.WriteTo([]byte("ce"), srv.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if d := recvOne(t, srv); !d.Congested {
		t.Fatal("CE mark not reported")
	}
}

func TestUDPSendEMSGSIZEFallsBack(t *testing.T) {
	_, cl := udpServerClient(t)
	err := cl.Send(make([]byte, 70000)) // beyond any UDP datagram
	if !errors.Is(err, syscall.EMSGSIZE) {
		t.Fatalf("err %v, want EMSGSIZE", err)
	}
	if cl.MTU() != wire.MTUFallback {
		t.Fatalf("mtu %d after EMSGSIZE", cl.MTU())
	}
	// Also for a server on any PacketConn.
	s := NewServerPath(&failConn{closed: make(chan struct{}), err: &net.OpError{Op: "write", Err: os.NewSyscallError("sendto", syscall.EMSGSIZE)}}, wire.MTUv6)
	closeAtCleanup(t, s)
	s.Roam(&net.UDPAddr{IP: net.IPv6loopback, Port: 9})
	if err := s.Send([]byte("x")); err == nil || s.MTU() != wire.MTUFallback {
		t.Fatalf("err %v mtu %d", err, s.MTU())
	}
}

// failConn fails every write; reads block until Close.
type failConn struct {
	err    error
	closed chan struct{}
}

var _ net.PacketConn = (*failConn)(nil)

func (f *failConn) ReadFrom([]byte) (int, net.Addr, error) {
	<-f.closed
	return 0, nil, net.ErrClosed
}
func (f *failConn) WriteTo([]byte, net.Addr) (int, error) { return 0, f.err }
func (f *failConn) Close() error                          { close(f.closed); return nil }
func (f *failConn) LocalAddr() net.Addr                   { return &net.UDPAddr{} }
func (f *failConn) SetDeadline(time.Time) error           { return nil }
func (f *failConn) SetReadDeadline(time.Time) error       { return nil }
func (f *failConn) SetWriteDeadline(time.Time) error      { return nil }

// TestSameAddr: Roam's comparison agrees with comparing the printed
// addresses, which it replaced, for UDP addresses and others.
func TestSameAddr(t *testing.T) {
	v4 := &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1).To4(), Port: 60001}
	cases := []struct {
		a, b net.Addr
		want bool
	}{
		{v4, v4, true},
		{v4, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 60001}, true}, // 16-byte form
		{v4, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 60001}, false},
		{v4, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 60002}, false},
		{&net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 9, Zone: "eth0"}, &net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 9, Zone: "eth1"}, false},
		{&net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 9, Zone: "eth0"}, &net.UDPAddr{IP: net.ParseIP("fe80::1"), Port: 9, Zone: "eth0"}, true},
		{v4, &net.TCPAddr{IP: v4.IP, Port: 60001}, false},
		{&net.UnixAddr{Name: "/s", Net: "unix"}, &net.UnixAddr{Name: "/s", Net: "unix"}, true},
	}
	for _, c := range cases {
		printed := c.a.Network() == c.b.Network() && c.a.String() == c.b.String()
		if got := sameAddr(c.a, c.b); got != c.want || got != printed {
			t.Errorf("sameAddr(%v, %v) = %v, want %v (printed: %v)", c.a, c.b, got, c.want, printed)
		}
	}
}

// A wake-up run by a socket's reader (DirectPath) may hop often enough to
// prune that very socket: closing it must not wait for the read it runs
// inside, or the reader would wait for itself.
func TestUDPClientPrunesTheSocketItsReaderRuns(t *testing.T) {
	srv, cl := udpServerClient(t)
	if err := cl.Send([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	srv.Roam(recvOne(t, srv).From)
	hopped := make(chan error, 1)
	cl.SetReceiver(func(Datagram) bool {
		cl.SetReceiver(nil)
		var err error
		for range maxPortsOpen {
			if err = cl.Hop(); err != nil {
				break
			}
		}
		hopped <- err
		return true
	})
	if err := srv.Send([]byte("to the first socket")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-hopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reader's own wake-up did not come back from pruning its socket")
	}
	if n := len(cl.Ports()); n != maxPortsOpen {
		t.Fatalf("%d sockets open, want %d", n, maxPortsOpen)
	}
}

// Close returns while a reader waits to queue a datagram nobody takes
// (the loop ended with Incoming full).
func TestUDPCloseWhileReaderQueues(t *testing.T) {
	srv, err := ListenUDP("127.0.0.1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := DialUDP(srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for range incomingBuffer + 8 {
		if err := cl.Send([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Incoming()) < incomingBuffer && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while the reader waited to queue")
	}
}
