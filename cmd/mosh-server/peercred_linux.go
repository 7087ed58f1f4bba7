package main

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerUID is the uid of the process at the other end of a unix stream
// socket (SO_PEERCRED: the credentials at connect time).
func peerUID(rc syscall.RawConn) (int, error) {
	var uid int
	var serr error
	err := rc.Control(func(fd uintptr) {
		cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			serr = err
			return
		}
		uid = int(cred.Uid)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return -1, fmt.Errorf("peer credentials: %w", err)
	}
	return uid, nil
}
