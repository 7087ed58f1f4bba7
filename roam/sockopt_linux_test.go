package roam

import (
	"fmt"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// fragmentsAllowed checks what allowFragments set, in Linux's terms.
func fragmentsAllowed(fd int, is6 bool) error {
	level, opt, want := unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DONT
	if is6 {
		level, opt, want = unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER, unix.IPV6_PMTUDISC_DONT
	}
	got, err := unix.GetsockoptInt(fd, level, opt)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("MTU_DISCOVER = %d, want %d (PMTUDISC_DONT)", got, want)
	}
	return nil
}

// TestAllowFragmentsOverridesDefault: a fresh Linux UDP socket does path
// MTU discovery (DF set); allowFragments turns it off on both families.
func TestAllowFragmentsOverridesDefault(t *testing.T) {
	for _, tc := range []struct {
		network string
		ip      net.IP
		is6     bool
	}{{"udp4", net.IPv4(127, 0, 0, 1), false}, {"udp6", net.IPv6loopback, true}} {
		uc, err := net.ListenUDP(tc.network, &net.UDPAddr{IP: tc.ip})
		if err != nil {
			t.Fatalf("%s: %v", tc.network, err)
		}
		rc, _ := uc.SyscallConn()
		var before, after, setErr error
		_ = rc.Control(func(fd uintptr) {
			before = fragmentsAllowed(int(fd), tc.is6)
			setErr = allowFragments(int(fd), tc.is6)
			after = fragmentsAllowed(int(fd), tc.is6)
		})
		uc.Close()
		if before == nil {
			t.Errorf("%s: a fresh socket already had PMTU discovery off; the test proves nothing", tc.network)
		}
		if setErr != nil || after != nil {
			t.Errorf("%s: allowFragments = %v; afterwards %v", tc.network, setErr, after)
		}
	}
}
