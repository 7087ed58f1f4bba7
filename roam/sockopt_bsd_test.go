//go:build darwin || freebsd

package roam

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// fragmentsAllowed checks what allowFragments set, in BSD terms.
func fragmentsAllowed(fd int, is6 bool) error {
	level, opt := unix.IPPROTO_IP, unix.IP_DONTFRAG
	if is6 {
		level, opt = unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG
	}
	got, err := unix.GetsockoptInt(fd, level, opt)
	if err != nil {
		return err
	}
	if got != 0 {
		return fmt.Errorf("DONTFRAG = %d, want 0", got)
	}
	return nil
}
