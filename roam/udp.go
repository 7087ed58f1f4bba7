package roam

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/nbio"
	"github.com/ssh-mosh/ssh-mosh/internal/vis"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// Mosh's socket constants (src/network/network.h).
const (
	PortRangeLow    = 60001
	PortRangeHigh   = 60999
	maxPortsOpen    = 10
	maxOldSocketAge = 60 * time.Second
)

// UDPServer is the server's one socket. It sends to the client's newest
// address, which the session loop updates with Roam. Safe for use by the
// loop together with its own readers.
type UDPServer struct {
	pc net.PacketConn
	u  *nbio.UDP // pc as a UDP socket, or nil
	rd *readers

	mu     sync.Mutex
	remote net.Addr
	mtu    int
	closed bool
}

var (
	_ Path     = (*UDPServer)(nil)
	_ MTUPath  = (*UDPServer)(nil)
	_ RoamPath = (*UDPServer)(nil)
	_ Path     = (*UDPClient)(nil)
	_ MTUPath  = (*UDPClient)(nil)
	_ HopPath  = (*UDPClient)(nil)
)

// ListenUDP binds the server socket like mosh-server: on ip ("" = the IPv4
// wildcard, which is what mosh gets from glibc), at the first free port of
// low..high. A negative low or high means mosh's default 60001 or 60999;
// low = high = 0 lets the kernel choose. If ip cannot be bound, the wildcard
// is tried, as mosh does. The socket sends ECT(0), never sets DF, and reports
// received ECN marks.
func ListenUDP(ip string, low, high int) (*UDPServer, error) {
	uc, mtu, err := BindUDP(ip, low, high)
	if err != nil {
		return nil, err
	}
	return NewServerPath(uc, mtu), nil
}

// BindUDP binds a server socket exactly as ListenUDP does (address fallback,
// port range, socket options) and returns it with the MTU of its family,
// for a caller that hands the socket to another process before serving
// (mosh-server's detach) and builds its path there with NewServerPath.
func BindUDP(ip string, low, high int) (*net.UDPConn, int, error) {
	if low < 0 {
		low = PortRangeLow
	}
	if high < 0 {
		high = PortRangeHigh
	}
	if low > high || high > 65535 || (low == 0 && high != 0) {
		return nil, 0, fmt.Errorf("bad UDP port range %d:%d", low, high)
	}
	addrs := []string{"0.0.0.0"}
	if ip != "" {
		addrs = []string{ip, "0.0.0.0"}
	}
	var errs []error
	busy := &PortsBusyError{Low: low, High: high}
	for _, a := range addrs {
		ap, err := netip.ParseAddr(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("bind address %q: %w", a, err))
			continue
		}
		uc, err := bindRange(ap.Unmap(), low, high)
		var oe *net.OpError
		switch {
		case errors.As(err, &oe) && oe.Op == "listen":
			busy.Addrs, busy.Err = append(busy.Addrs, ap.Unmap().String()), err
			continue
		case err != nil:
			errs = append(errs, err)
			continue
		}
		mtu := wire.MTUv4
		if ap.Unmap().Is6() {
			mtu = wire.MTUv6
		}
		return uc, mtu, nil
	}
	if len(busy.Addrs) > 0 {
		errs = append(errs, busy)
	}
	return nil, 0, errors.Join(errs...)
}

// PortsBusyError is a server socket that found no free port in its range
// on any address it tried.
type PortsBusyError struct {
	Low, High int
	Addrs     []string // the addresses tried
	Err       error    // the last port's error
}

func (e *PortsBusyError) Error() string {
	ports := fmt.Sprintf("%d:%d", e.Low, e.High)
	if e.Low == e.High {
		ports = strconv.Itoa(e.Low)
	}
	return fmt.Sprintf("no free UDP port %s on %s (%s): free one, or choose others (mosh-server -p, ssh-mosh --port)", ports, strings.Join(e.Addrs, " or "), vis.Strerror(e.Err))
}

func (e *PortsBusyError) Unwrap() error { return e.Err }

// bindRange binds the first free port of low..high on ip.
func bindRange(ip netip.Addr, low, high int) (*net.UDPConn, error) {
	network := "udp4"
	if ip.Is6() {
		network = "udp6"
	}
	var last error
	for port := low; port <= high; port++ {
		uc, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			last = err
			continue
		}
		if err := setSocketOptions(uc, ip.Is6()); err != nil {
			_ = uc.Close()
			return nil, err
		}
		return uc, nil
	}
	return nil, last
}

// NewServerPath makes a server path on any PacketConn (a real socket, an
// in-memory pipe, a netem wrapper) with the given MTU, and starts its reader.
// The path owns pc and closes it.
func NewServerPath(pc net.PacketConn, mtu int) *UDPServer {
	pc = takeUDP(pc)
	s := &UDPServer{pc: pc, u: rawUDP(pc), rd: newReaders(), mtu: mtu}
	s.rd.start(pc)
	return s
}

// Port is the local port.
func (s *UDPServer) Port() int {
	if ua, ok := s.pc.LocalAddr().(*net.UDPAddr); ok {
		return ua.Port
	}
	return 0
}

// LocalAddr is the bound address.
func (s *UDPServer) LocalAddr() net.Addr { return s.pc.LocalAddr() }

// MTU implements MTUPath.
func (s *UDPServer) MTU() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mtu
}

// Remote is where datagrams go (nil before the first client datagram).
func (s *UDPServer) Remote() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// Roam implements RoamPath: later datagrams go to to. It reports whether the
// address changed.
func (s *UDPServer) Roam(to net.Addr) bool {
	if to == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.remote != nil && sameAddr(s.remote, to) {
		return false
	}
	s.remote = to
	return true
}

// sameAddr reports whether a and b name the same endpoint, without
// formatting UDP addresses (Roam asks for every newest datagram).
func sameAddr(a, b net.Addr) bool {
	if a == b {
		return true
	}
	ua, ok1 := a.(*net.UDPAddr)
	ub, ok2 := b.(*net.UDPAddr)
	if ok1 && ok2 {
		return ua.Port == ub.Port && ua.Zone == ub.Zone && ua.IP.Equal(ub.IP)
	}
	return a.Network() == b.Network() && a.String() == b.String()
}

// Send implements Path.
func (s *UDPServer) Send(b []byte) error {
	s.mu.Lock()
	remote := s.remote
	s.mu.Unlock()
	if remote == nil {
		return ErrNoPeer
	}
	if err := writeTo(s.pc, s.u, b, remote); err != nil {
		if isMsgSize(err) {
			s.mu.Lock()
			s.mtu = wire.MTUFallback
			s.mu.Unlock()
		}
		return fmt.Errorf("sendto %v: %w", remote, err)
	}
	return nil
}

// Incoming implements Path.
func (s *UDPServer) Incoming() <-chan Datagram { return s.rd.out }

// SetReceiver implements DirectPath.
func (s *UDPServer) SetReceiver(fn func(Datagram) bool) { s.rd.recv.Set(fn) }

// Close implements Path.
func (s *UDPServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var err error
	s.rd.stop(func() { err = s.pc.Close() })
	return err
}

// clientSock is one of the client's sockets.
type clientSock struct {
	pc     net.PacketConn
	u      *nbio.UDP // pc as a UDP socket, or nil
	opened time.Time
}

// UDPClient is the client's side: it sends from its newest socket and
// receives on all of them, since datagrams the server sent before noticing
// a hop still arrive at older ports (mosh's Connection socks deque).
type UDPClient struct {
	server net.Addr
	open   func() (net.PacketConn, error)
	now    func() time.Time // the socket layer's clock, for pruning
	rd     *readers

	mu     sync.Mutex
	socks  []clientSock // oldest first
	mtu    int
	closed bool
}

// DialUDP makes a client path to the server's address, with one socket on
// an ephemeral port of the server's address family.
func DialUDP(server *net.UDPAddr) (*UDPClient, error) {
	ap := server.AddrPort()
	is6 := ap.Addr().Unmap().Is6()
	network, mtu := "udp4", wire.MTUv4
	if is6 {
		network, mtu = "udp6", wire.MTUv6
	}
	open := func() (net.PacketConn, error) {
		uc, err := net.ListenUDP(network, nil)
		if err != nil {
			return nil, fmt.Errorf("client socket: %w", err)
		}
		if err := setSocketOptions(uc, is6); err != nil {
			_ = uc.Close()
			return nil, err
		}
		return uc, nil
	}
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	return NewClientPath(to, mtu, open)
}

// NewClientPath makes a client path to server over PacketConns made by open
// (called now and at every Hop). The path owns the conns and closes them.
func NewClientPath(server net.Addr, mtu int, open func() (net.PacketConn, error)) (*UDPClient, error) {
	c := &UDPClient{server: server, open: open, now: time.Now, rd: newReaders(), mtu: mtu}
	if err := c.Hop(); err != nil {
		c.rd.stop(func() {})
		return nil, err
	}
	return c, nil
}

// Server is the address datagrams are sent to.
func (c *UDPClient) Server() net.Addr { return c.server }

// MTU implements MTUPath.
func (c *UDPClient) MTU() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mtu
}

// Ports returns the local ports of the open sockets, oldest first.
func (c *UDPClient) Ports() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ps []int
	for _, s := range c.socks {
		if ua, ok := s.pc.LocalAddr().(*net.UDPAddr); ok {
			ps = append(ps, ua.Port)
		}
	}
	return ps
}

// Hop implements HopPath: open a new socket, which sends from now on, and
// prune old ones.
func (c *UDPClient) Hop() error {
	pc, err := c.open()
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = pc.Close()
		return net.ErrClosed
	}
	pc = takeUDP(pc)
	c.socks = append(c.socks, clientSock{pc: pc, u: rawUDP(pc), opened: c.now()})
	c.rd.start(pc)
	c.pruneLocked()
	c.mu.Unlock()
	return nil
}

// pruneLocked closes old sockets (prune_sockets): all but the newest once it
// has been in use for a minute, and beyond ten in any case.
func (c *UDPClient) pruneLocked() {
	n := len(c.socks)
	if n <= 1 {
		return
	}
	kill := 0
	if c.now().Sub(c.socks[n-1].opened) > maxOldSocketAge {
		kill = n - 1
	} else if n > maxPortsOpen {
		kill = n - maxPortsOpen
	}
	for _, s := range c.socks[:kill] {
		// Not on this goroutine: closing waits for a read in progress on
		// the socket, and this may run inside one (a wake-up run by the
		// socket's reader). The reader ends on the close.
		go s.pc.Close()
	}
	c.socks = append(c.socks[:0], c.socks[kill:]...)
}

// Send implements Path: from the newest socket.
func (c *UDPClient) Send(b []byte) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.pruneLocked()
	sock := c.socks[len(c.socks)-1]
	c.mu.Unlock()
	if err := writeTo(sock.pc, sock.u, b, c.server); err != nil {
		if isMsgSize(err) {
			c.mu.Lock()
			c.mtu = wire.MTUFallback
			c.mu.Unlock()
		}
		return fmt.Errorf("sendto %v: %w", c.server, err)
	}
	return nil
}

// Incoming implements Path.
func (c *UDPClient) Incoming() <-chan Datagram { return c.rd.out }

// SetReceiver implements DirectPath.
func (c *UDPClient) SetReceiver(fn func(Datagram) bool) { c.rd.recv.Set(fn) }

// Close implements Path.
func (c *UDPClient) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	socks := c.socks
	c.socks = nil
	c.mu.Unlock()
	var errs []error
	c.rd.stop(func() {
		for _, s := range socks {
			if err := s.pc.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// takeUDP is pc as an nbio.TakeUDP when it is a UDP socket, which from then
// on wakes the process only for datagrams (see nbio); other conns (pipes,
// wrappers), and a socket that cannot be taken, stay as they are.
func takeUDP(pc net.PacketConn) net.PacketConn {
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return pc
	}
	if u, err := nbio.TakeUDP(uc); err == nil {
		return u
	}
	return pc
}

// rawUDP is pc for nbio when it is a UDP socket: its datagrams then go out
// without a scheduler hand-off. nil for other conns (pipes, wrappers).
func rawUDP(pc net.PacketConn) *nbio.UDP {
	if u, ok := pc.(*nbio.UDP); ok {
		return u
	}
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		return nil
	}
	u, err := nbio.NewUDP(uc)
	if err != nil {
		return nil
	}
	return u
}

// writeTo sends b to to on pc, through u when there is one.
func writeTo(pc net.PacketConn, u *nbio.UDP, b []byte, to net.Addr) error {
	if ua, ok := to.(*net.UDPAddr); ok && u != nil {
		_, err := u.WriteToUDP(b, ua)
		return err
	}
	_, err := pc.WriteTo(b, to)
	return err
}
