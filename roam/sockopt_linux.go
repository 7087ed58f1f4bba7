package roam

import "golang.org/x/sys/unix"

// allowFragments turns path MTU discovery off, as mosh does: DF stays
// clear and an oversized datagram is fragmented rather than refused.
// Linux spells it IP_MTU_DISCOVER = IP_PMTUDISC_DONT (and the IPV6_ twin).
func allowFragments(fd int, is6 bool) error {
	if is6 {
		return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_DONT)
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DONT)
}
