//go:build !linux

package roam

import "net"

// setSocketOptions is a no-op where the Linux socket options are missing:
// the path then works without ECN and with the kernel's PMTU default.
func setSocketOptions(*net.UDPConn, bool) error { return nil }

// ecnCE never reports congestion without IP_RECVTOS.
func ecnCE([]byte) bool { return false }
