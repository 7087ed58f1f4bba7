//go:build !linux && !darwin && !freebsd

package roam

import "net"

// setSocketOptions is a no-op where the socket options are not known to
// us: the path then works without ECN and with the kernel's PMTU default.
// A port adds its allowFragments and joins sockopt_unix.go's build line.
func setSocketOptions(*net.UDPConn, bool) error { return nil }

// ecnCE never reports congestion without IP_RECVTOS.
func ecnCE([]byte) bool { return false }
