//go:build darwin || freebsd

package main

import "golang.org/x/sys/unix"

// dupOnto makes newfd a copy of oldfd, closing what newfd was: dup2, which
// macOS and FreeBSD have on every architecture (a no-op when both are the
// same fd).
func dupOnto(oldfd, newfd int) error { return unix.Dup2(oldfd, newfd) }
