//go:build darwin || freebsd

package roam

import "golang.org/x/sys/unix"

// allowFragments keeps DF clear, as mosh does: an oversized datagram is
// fragmented rather than refused. macOS and FreeBSD have no
// IP_MTU_DISCOVER; their switch is IP_DONTFRAG (IPV6_DONTFRAG), off by
// default, set to 0 here so the behaviour does not hang on a default.
func allowFragments(fd int, is6 bool) error {
	if is6 {
		return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG, 0)
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_DONTFRAG, 0)
}
