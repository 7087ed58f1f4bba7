package testenv

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestMustHaveExecMissingTool(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			ft := &fakeTB{TB: t}
			ft.run(func(tb testing.TB) { MustHaveExec(tb, "mosh-client-not-installed-xyz") })
			msg := strings.Join(ft.msgs, "\n")
			if ci == "true" && (!ft.failed || ft.skipped) {
				t.Fatalf("in CI a missing tool must fail the test: failed=%v skipped=%v", ft.failed, ft.skipped)
			}
			if ci == "" && (ft.failed || !ft.skipped) {
				t.Fatalf("outside CI a missing tool must skip: failed=%v skipped=%v", ft.failed, ft.skipped)
			}
			if !strings.Contains(msg, "apt-get install -y mosh-client-not-installed-xyz") {
				t.Fatalf("message lacks the install command: %q", msg)
			}
		})
	}
}

func TestMustHaveExecKnownPackage(t *testing.T) {
	t.Setenv("CI", "true")
	t.Setenv("PATH", t.TempDir()) // nothing found in PATH…
	ft := &fakeTB{TB: t}
	ft.run(func(tb testing.TB) { MustHaveExec(tb, "tmux") })
	if !ft.failed || !strings.Contains(strings.Join(ft.msgs, ""), "apt-get install -y tmux") {
		t.Fatalf("failed=%v msgs=%q", ft.failed, ft.msgs)
	}
	// …but sshd is still found in /usr/sbin.
	if HasExec("sshd") {
		if p, err := LookPath("sshd"); err != nil || !strings.HasPrefix(p, "/") {
			t.Fatalf("LookPath(sshd) = %q, %v", p, err)
		}
	}
}

func TestKillTreeAndDescendants(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 300 & sleep 300 & wait")
	StartCmd(t, cmd)
	var kids []int
	deadline := time.Now().Add(5 * time.Second)
	for len(kids) < 2 && time.Now().Before(deadline) {
		kids = Descendants(cmd.Process.Pid)
		time.Sleep(5 * time.Millisecond)
	}
	if len(kids) != 2 {
		t.Fatalf("descendants %v, want 2 sleeps", kids)
	}
	KillTree(cmd.Process.Pid)
	for _, p := range append(kids, cmd.Process.Pid) {
		if Alive(p) {
			t.Fatalf("pid %d alive after KillTree", p)
		}
	}
}

func TestPIDsWithEnv(t *testing.T) {
	marker := "TESTENV_MARKER=" + t.Name() + itoa(int(time.Now().UnixNano()))
	cmd := exec.Command("/bin/sh", "-c", "exec sleep 300")
	cmd.Env = []string{marker}
	StartCmd(t, cmd)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := PIDsWithEnv(func(kv string) bool { return kv == marker })
		if len(got) == 1 && got[0] == cmd.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PIDsWithEnv = %v, want [%d]", got, cmd.Process.Pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
