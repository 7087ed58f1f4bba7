package main

import (
	"fmt"
	"syscall"
)

// peerUID is the uid of the process at the other end of a unix stream
// socket, as the kernel recorded it at connect time (socketPeerUID is the
// per-OS way to ask).
func peerUID(rc syscall.RawConn) (int, error) {
	uid := -1
	var serr error
	err := rc.Control(func(fd uintptr) { uid, serr = socketPeerUID(int(fd)) })
	if err == nil {
		err = serr
	}
	if err != nil {
		return -1, fmt.Errorf("peer credentials: %w", err)
	}
	return uid, nil
}
