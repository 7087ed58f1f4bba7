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
	if len(oob) == 0 {
		return false
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return false
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.IPPROTO_IP && (m.Header.Type == unix.IP_TOS || m.Header.Type == unix.IP_RECVTOS):
			if len(m.Data) >= 1 && m.Data[0]&0x03 == 0x03 {
				return true
			}
		case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_TCLASS:
			if len(m.Data) >= 4 && binary.NativeEndian.Uint32(m.Data)&0x03 == 0x03 {
				return true
			}
		}
	}
	return false
}
