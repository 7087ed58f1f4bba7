package nbio

import (
	"net"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The calls below are raw: they cannot block (the descriptors are
// non-blocking), so the scheduler need not know of them (see the package
// comment). Pointers passed as uintptr in the call expression stay alive
// for the call (go:uintptrkeepalive on syscall.RawSyscall6).

func bufPtr(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return nil
	}
	return unsafe.Pointer(&p[0])
}

func read(fd int, p []byte) (int, error) {
	r, _, e := syscall.RawSyscall6(unix.SYS_READ, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func write(fd int, p []byte) (int, error) {
	r, _, e := syscall.RawSyscall6(unix.SYS_WRITE, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func recvmsg(fd int, p, oob []byte, last *net.UDPAddr) (n, oobn int, from *net.UDPAddr, err error) {
	var rsa unix.RawSockaddrAny
	var iov unix.Iovec
	iov.Base = (*byte)(bufPtr(p))
	iov.SetLen(len(p))
	var msg unix.Msghdr
	msg.Name = (*byte)(unsafe.Pointer(&rsa))
	msg.Namelen = unix.SizeofSockaddrAny
	msg.Iov = &iov
	msg.SetIovlen(1)
	if len(oob) > 0 {
		msg.Control = &oob[0]
		msg.SetControllen(len(oob))
	}
	r, _, e := syscall.RawSyscall6(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), 0, 0, 0, 0)
	if e != 0 {
		return 0, 0, nil, e
	}
	return int(r), int(msg.Controllen), udpAddr(&rsa, last), nil
}

// udpAddr is the sender in rsa as net words it (a four-byte address for
// AF_INET, the zone by interface name): last when that is the same address.
func udpAddr(rsa *unix.RawSockaddrAny, last *net.UDPAddr) *net.UDPAddr {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		if last != nil && last.Zone == "" && last.Port == portOf(&sa.Port) && string(last.IP) == string(sa.Addr[:]) {
			return last
		}
		ip := make(net.IP, net.IPv4len)
		copy(ip, sa.Addr[:])
		return &net.UDPAddr{IP: ip, Port: portOf(&sa.Port)}
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		if last != nil && sa.Scope_id == 0 && last.Zone == "" && last.Port == portOf(&sa.Port) &&
			string(last.IP) == string(sa.Addr[:]) {
			return last
		}
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		return &net.UDPAddr{IP: ip, Port: portOf(&sa.Port), Zone: zoneName(sa.Scope_id)}
	}
	return nil
}

// portOf reads a port stored in network byte order.
func portOf(p *uint16) int {
	b := (*[2]byte)(unsafe.Pointer(p))
	return int(b[0])<<8 | int(b[1])
}

func setPort(p *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// sockaddr is a destination in the kernel's form.
type sockaddr struct {
	raw unix.RawSockaddrInet6 // or a RawSockaddrInet4 in its first bytes
	len uint32
}

// rawSockaddr converts to for a socket of the family v6 says; false when
// net should send instead (a zone by name, an IPv6 peer on an IPv4 socket).
func rawSockaddr(to *net.UDPAddr, v6 bool) (sockaddr, bool) {
	var sa sockaddr
	if to == nil || to.Port < 0 || to.Port > 0xffff {
		return sa, false
	}
	ip4 := to.IP.To4()
	if !v6 {
		if ip4 == nil || to.Zone != "" {
			return sa, false
		}
		s4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa.raw))
		s4.Family = unix.AF_INET
		setPort(&s4.Port, to.Port)
		copy(s4.Addr[:], ip4)
		sa.len = unix.SizeofSockaddrInet4
		return sa, true
	}
	ip16 := to.IP.To16()
	if ip16 == nil {
		return sa, false
	}
	var scope uint64
	if to.Zone != "" {
		var err error
		if scope, err = strconv.ParseUint(to.Zone, 10, 32); err != nil {
			return sa, false
		}
	}
	sa.raw.Family = unix.AF_INET6
	setPort(&sa.raw.Port, to.Port)
	copy(sa.raw.Addr[:], ip16) // an IPv4 address is ::ffff:a.b.c.d here
	sa.raw.Scope_id = uint32(scope)
	sa.len = unix.SizeofSockaddrInet6
	return sa, true
}

func sendto(fd int, p []byte, sa *sockaddr) (int, error) {
	r, _, e := syscall.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)), 0,
		uintptr(unsafe.Pointer(&sa.raw)), uintptr(sa.len))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// batchLen is how many datagrams one recvmmsg(2) may return: a frame of a
// few fragments comes in one call.
const batchLen = 4

// mmsghdr is struct mmsghdr: a msghdr and the length received. Go pads
// it to the msghdr's alignment as C does (64 bytes on 64-bit systems).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// batch is UDP.ReadEach's buffers and their headers, set up once: the
// pointers in hdrs point into the batch itself.
type batch struct {
	hdrs  [batchLen]mmsghdr
	iovs  [batchLen]unix.Iovec
	names [batchLen]unix.RawSockaddrAny
	bufs  [batchLen][]byte
	oobs  [batchLen][]byte
}

func newBatch(size, oobSize int) *batch {
	b := &batch{}
	for i := range b.hdrs {
		b.bufs[i] = make([]byte, size)
		b.oobs[i] = make([]byte, oobSize)
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(size)
		h := &b.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
		if oobSize > 0 {
			h.Control = &b.oobs[i][0]
		}
	}
	return b
}

// recvBatch reads the datagrams waiting, up to batchLen, with one
// recvmmsg(2). On a non-blocking socket it returns fewer only when the
// queue ran out, so a short count means the socket was emptied.
func recvBatch(fd int, b *batch) (int, error) {
	for i := range b.hdrs {
		h := &b.hdrs[i]
		h.hdr.Namelen = unix.SizeofSockaddrAny
		h.hdr.SetControllen(len(b.oobs[i]))
		h.hdr.Flags = 0
		h.n = 0
	}
	r, _, e := syscall.RawSyscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.hdrs[0])), batchLen, 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// msg is the i-th datagram of the last recvBatch.
func (b *batch) msg(i int, last *net.UDPAddr) Msg {
	h := &b.hdrs[i]
	return Msg{Data: b.bufs[i][:h.n], OOB: b.oobs[i][:h.hdr.Controllen], From: udpAddr(&b.names[i], last)}
}
