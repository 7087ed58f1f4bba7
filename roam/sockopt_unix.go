//go:build linux || darwin || freebsd

package roam

import (
	"encoding/binary"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// ectZero is the TOS byte mosh sets: ECN-capable transport, no DSCP.
const ectZero = 0x02

// setSocketOptions applies mosh's socket options (Connection::Socket):
// no path MTU discovery (DF clear, the kernel fragments instead of failing;
// allowFragments says how on this system), IP_TOS = ECT(0), and IP_RECVTOS
// so that congestion marks can be read. IPv6 sockets get the IPV6_
// equivalents.
func setSocketOptions(uc *net.UDPConn, is6 bool) error {
	rc, err := uc.SyscallConn()
	if err != nil {
		return fmt.Errorf("socket options: %w", err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		s := int(fd)
		serr = allowFragments(s, is6)
		// Best effort, as in mosh: a platform may refuse ECN options.
		if is6 {
			_ = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, ectZero)
			_ = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS, 1)
			return
		}
		_ = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_TOS, ectZero)
		_ = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_RECVTOS, 1)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("socket options: %w", err)
	}
	return nil
}

// ecnCE reports whether the control messages of a received datagram carry
// the ECN "congestion experienced" codepoint (both ECN bits set). Linux
// labels the IPv4 TOS message IP_TOS, macOS and FreeBSD IP_RECVTOS; the
// IPv6 traffic class comes as an int everywhere.
func ecnCE(oob []byte) bool {
	// One message at a time: ParseSocketControlMessage would allocate a
	// slice of them for every datagram. As there, a malformed message
	// spoils the lot, and trailing bytes too short for a header are
	// ignored.
	ce := false
	for len(oob) >= unix.CmsgLen(0) {
		h, data, rest, err := unix.ParseOneSocketControlMessage(oob)
		if err != nil {
			return false
		}
		switch {
		case h.Level == unix.IPPROTO_IP && (h.Type == unix.IP_TOS || h.Type == unix.IP_RECVTOS):
			ce = ce || len(data) >= 1 && data[0]&0x03 == 0x03
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_TCLASS:
			ce = ce || len(data) >= 4 && binary.NativeEndian.Uint32(data)&0x03 == 0x03
		}
		oob = rest
	}
	return ce
}
