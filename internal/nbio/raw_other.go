//go:build !linux

package nbio

import (
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// Ordinary calls here: on macOS system calls go through libSystem, and the
// raw form is not worth a second copy of the BSD socket layouts.

func read(fd int, p []byte) (int, error)  { return unix.Read(fd, p) }
func write(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

func recvmsg(fd int, p, oob []byte, last *net.UDPAddr) (n, oobn int, from *net.UDPAddr, err error) {
	n, oobn, _, sa, err := unix.Recvmsg(fd, p, oob, 0)
	if err != nil {
		return 0, 0, nil, err
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		if last != nil && last.Zone == "" && last.Port == sa.Port && string(last.IP) == string(sa.Addr[:]) {
			return n, oobn, last, nil
		}
		ip := make(net.IP, net.IPv4len)
		copy(ip, sa.Addr[:])
		from = &net.UDPAddr{IP: ip, Port: sa.Port}
	case *unix.SockaddrInet6:
		if last != nil && sa.ZoneId == 0 && last.Zone == "" && last.Port == sa.Port && string(last.IP) == string(sa.Addr[:]) {
			return n, oobn, last, nil
		}
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		from = &net.UDPAddr{IP: ip, Port: sa.Port, Zone: zoneName(sa.ZoneId)}
	}
	return n, oobn, from, nil
}

type sockaddr struct{ sa unix.Sockaddr }

func rawSockaddr(to *net.UDPAddr, v6 bool) (sockaddr, bool) {
	if to == nil || to.Port < 0 || to.Port > 0xffff {
		return sockaddr{}, false
	}
	ip4 := to.IP.To4()
	if !v6 {
		if ip4 == nil || to.Zone != "" {
			return sockaddr{}, false
		}
		sa := &unix.SockaddrInet4{Port: to.Port}
		copy(sa.Addr[:], ip4)
		return sockaddr{sa}, true
	}
	ip16 := to.IP.To16()
	if ip16 == nil {
		return sockaddr{}, false
	}
	var scope uint64
	if to.Zone != "" {
		var err error
		if scope, err = strconv.ParseUint(to.Zone, 10, 32); err != nil {
			return sockaddr{}, false
		}
	}
	sa := &unix.SockaddrInet6{Port: to.Port, ZoneId: uint32(scope)}
	copy(sa.Addr[:], ip16)
	return sockaddr{sa}, true
}

func sendto(fd int, p []byte, sa *sockaddr) (int, error) {
	if err := unix.Sendto(fd, p, 0, sa.sa); err != nil {
		return 0, err
	}
	return len(p), nil
}

// batchLen is 1 here: one recvmsg per datagram, and a read that finds the
// socket empty before each wait.
const batchLen = 1

// batch is UDP.ReadEach's buffer.
type batch struct {
	buf, oob []byte
	n, oobn  int
	from     *net.UDPAddr
}

func newBatch(size, oobSize int) *batch {
	return &batch{buf: make([]byte, size), oob: make([]byte, oobSize)}
}

func recvBatch(fd int, b *batch) (int, error) {
	var err error
	b.n, b.oobn, b.from, err = recvmsg(fd, b.buf, b.oob, b.from)
	if err != nil {
		return 0, err
	}
	return 1, nil
}

// msg is the datagram of the last recvBatch; recvmsg already reused the
// previous sender's address (b.from) when it is the same.
func (b *batch) msg(int, *net.UDPAddr) Msg {
	return Msg{Data: b.buf[:b.n], OOB: b.oob[:b.oobn], From: b.from}
}
