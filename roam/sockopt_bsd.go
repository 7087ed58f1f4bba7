//go:build darwin || freebsd

package roam

import (
	"errors"

	"golang.org/x/sys/unix"
)

// allowFragments keeps DF clear, as mosh does: an oversized datagram is
// fragmented rather than refused. macOS and FreeBSD have no
// IP_MTU_DISCOVER; their switch is IP_DONTFRAG (IPV6_DONTFRAG), off by
// default, set to 0 here so the behaviour does not hang on a default. A
// kernel that does not know the option (ENOPROTOOPT, EINVAL) already
// sends with DF clear, so that is no reason to refuse the socket.
func allowFragments(fd int, is6 bool) error {
	var err error
	if is6 {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG, 0)
	} else {
		err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_DONTFRAG, 0)
	}
	if errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EINVAL) {
		return nil
	}
	return err
}
