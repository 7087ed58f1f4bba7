// Package proc owns how ssh-mosh stops processes: a child it started in a
// process group of its own (a ProxyCommand, a test's server), politely
// first, then for sure, always reaping it, one sequence so that a child
// never outlives its owner because one copy forgot a step; and itself,
// suspended for job control until continued (SuspendGroup).
package proc

import (
	"os/exec"
	"syscall"
	"time"
)

// StopGroup ends cmd, started with Setpgid, and its whole process group:
// SIGTERM to the group, then SIGKILL to the group if cmd has not exited
// within grace. It returns once cmd is reaped, with Wait's error.
func StopGroup(cmd *exec.Cmd, grace time.Duration) error {
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
}
