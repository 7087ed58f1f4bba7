package proc

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func startGroup(t *testing.T, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// groupGone reports whether no process of the group is left.
func groupGone(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}

func TestStopGroupTerm(t *testing.T) {
	// The shell and a child of it in the group: SIGTERM ends both.
	cmd := startGroup(t, "sleep 60 & wait")
	err := StopGroup(cmd, 10*time.Second)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("Wait error %v, want death by SIGTERM", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !groupGone(cmd.Process.Pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !groupGone(cmd.Process.Pid) {
		t.Error("the group's child outlived StopGroup")
	}
}

func TestStopGroupKillsWhatIgnoresTerm(t *testing.T) {
	cmd := startGroup(t, "trap '' TERM; while :; do sleep 0.05; done")
	time.Sleep(200 * time.Millisecond) // the trap is set
	err := StopGroup(cmd, 100*time.Millisecond)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("Wait error %v, want death by SIGKILL", err)
	}
}
