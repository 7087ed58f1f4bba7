package main

import "golang.org/x/sys/unix"

// dupOnto makes newfd a copy of oldfd, closing what newfd was (dup2).
// Linux on arm64 (and riscv64) has no dup2 system call, only dup3, which
// fails with EINVAL where dup2 does nothing: when both are the same fd.
func dupOnto(oldfd, newfd int) error {
	if oldfd == newfd {
		return nil
	}
	return unix.Dup3(oldfd, newfd, 0)
}
