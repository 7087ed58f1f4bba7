//go:build darwin || freebsd

package main

import "golang.org/x/sys/unix"

// socketPeerUID reads LOCAL_PEERCRED, what getpeereid(3) reads.
func socketPeerUID(fd int) (int, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return -1, err
	}
	return int(cred.Uid), nil
}
