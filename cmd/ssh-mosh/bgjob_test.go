package main

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestExitLeavingBackgroundJobLikeOpenSSH: a shell that exits while a job
// it started in the background still holds its terminal ends the session
// at once, with its status, under ssh (the oracle) and under ssh-mosh
// alike, and the job runs on. mosh-server would wait for the job to end.
func TestExitLeavingBackgroundJobLikeOpenSSH(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveRoot(t)
	testenv.MustHaveExec(t, "tmux")
	sshBin := testenv.MustHaveExec(t, "ssh")
	key, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(t, "target", key)
	sshMosh := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	server := testenv.GoBuild(t, "./cmd/mosh-server", "mosh-server")
	jobRE := regexp.MustCompile(`JOB=(\d+)`)
	for _, c := range []struct {
		name string
		argv []string
	}{
		{"ssh", []string{sshBin}},
		{"ssh-mosh", []string{sshMosh, "--server=" + server}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := testenv.StartTmux(t, testenv.TmuxOptions{Width: 100, Height: 30, Env: []string{"SSH_AUTH_SOCK="}},
				append(c.argv, "-F", cfg, "target")...)
			m.WaitForFunc("a shell prompt", func(s string) bool { return strings.HasSuffix(strings.TrimRight(s, "\n "), "#") }, waitLong)
			// The quotes keep the marker out of the echoed command line.
			m.SendText("sleep 300 & echo JO''B=$!\r")
			screen := m.WaitForFunc("the job's pid", jobRE.MatchString, waitLong)
			pid, _ := strconv.Atoi(jobRE.FindStringSubmatch(screen)[1])
			t.Cleanup(func() { testenv.KillPID(pid) })
			m.SendText("exit 3\r")
			start := time.Now()
			if st := m.WaitExit(waitLong); st != 3 {
				t.Errorf("%s ended with %d, want 3; screen:\n%s", c.name, st, testenv.FrameScreen(m.Capture()))
			}
			// ssh takes a few ms; ours waits for the terminal to be quiet
			// (orphanQuiet, 200 ms) and shuts the session down.
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%s ended %v after the shell's exit", c.name, d.Round(time.Millisecond))
			}
			if err := syscall.Kill(pid, 0); err != nil {
				t.Errorf("the background job (pid %d) did not survive the session: %v", pid, err)
			}
		})
	}
}
