// Package testenv holds the fixtures that tests use to drive the real thing:
// real mosh-server and mosh-client, tmux as the terminal, sshd and ssh-agent on
// loopback. Every process a fixture starts is stopped by pid in t.Cleanup,
// also when the test fails.
//
// The fixtures, each proven by its own tests against the real tools:
//
//   - StartTmux: a program in a private tmux server read back as a screen;
//     Tmux.Control gives a control-mode client for microsecond polling.
//   - StartMoshServer, MoshClientArgv, MoshArgv: real mosh (or any binary
//     with mosh-server's command line).
//   - StartSSHD, NewUserKey, StartSSHAgent, SSHD.ClientConfig: OpenSSH on
//     127.0.0.1 with its own keys and configuration.
//   - KillTree, KillPIDs, Descendants, PIDsWithEnv: stopping what a test
//     started, also what detached from it.
//
// Tools that are missing make a test skip on a developer's machine, but fail
// it when CI=true, naming the command that installs them: in CI the interop
// tests must run.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/loginrec"
	"github.com/ssh-mosh/ssh-mosh/internal/proc"
)

// installHint maps a tool to the Debian package that provides it.
var installHint = map[string]string{
	"mosh-server": "mosh",
	"mosh-client": "mosh",
	"mosh":        "mosh",
	"tmux":        "tmux",
	"sshd":        "openssh-server",
	"ssh":         "openssh-client",
	"ssh-agent":   "openssh-client",
	"ssh-keygen":  "openssh-client",
	"ssh-add":     "openssh-client",
	"nft":         "nftables",
	"rsync":       "rsync",
	"git":         "git",
	"perl":        "perl",
	"unshare":     "util-linux",
	"ip":          "iproute2",
	"vi":          "vim-tiny",
	"less":        "less",
	"locale":      "locales",
}

// InCI reports whether the tests run in CI, where a missing tool is a failure.
func InCI() bool { return os.Getenv("CI") == "true" }

// sbinDirs are searched as well as PATH: sshd lives in /usr/sbin, which a
// non-root PATH may lack.
var sbinDirs = []string{"/usr/sbin", "/sbin", "/usr/local/sbin"}

// LookPath finds a tool in PATH or the sbin directories.
func LookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range sbinDirs {
		p := d + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH or %s", name, strings.Join(sbinDirs, ", "))
}

// HasExec reports whether the named tool is installed.
func HasExec(name string) bool {
	_, err := LookPath(name)
	return err == nil
}

// MustHaveExec returns the path of the named tool. When it is missing the
// test is skipped, or failed when CI=true, with the install command.
func MustHaveExec(t testing.TB, name string) string {
	t.Helper()
	p, err := LookPath(name)
	if err == nil {
		return p
	}
	pkg := installHint[name]
	if pkg == "" {
		pkg = name
	}
	msg := fmt.Sprintf("%s is not installed: run `apt-get install -y %s` (or `make test`, which installs it)", name, pkg)
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip("skipping test: " + msg)
	return ""
}

// MustHaveRoot skips (or fails in CI) when the test needs root, e.g. to
// start sshd or create a network namespace.
func MustHaveRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if InCI() {
		t.Fatal("this test needs root (sshd, network namespaces); CI runs as root")
	}
	t.Skip("skipping test: needs root")
}

// Short skips slow interop tests under -short.
func Short(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping interop test in -short mode")
	}
}

// Alive reports whether pid is a live (non-zombie) process. A detached
// process that died can linger as a zombie for a while in a container whose
// init reaps slowly, so kill -0 alone is not enough.
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "State:") {
			f := strings.Fields(line)
			return len(f) >= 2 && f[1] != "Z" && f[1] != "X"
		}
	}
	return false
}

// WaitGone waits up to timeout for pid to exit and reports whether it did.
func WaitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !Alive(pid) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return !Alive(pid)
}

// KillPID stops pid: SIGTERM, then SIGKILL if it is still alive after a
// grace period. It is safe on a pid that is already gone.
func KillPID(pid int) {
	if pid <= 0 {
		return
	}
	KillPIDs([]int{pid})
}

// StopAtCleanup makes t stop pid (by pid) when the test ends, whatever its
// outcome.
func StopAtCleanup(t testing.TB, pid int) {
	t.Helper()
	t.Cleanup(func() { KillPID(pid) })
}

// StartCmd starts cmd in its own process group and stops the whole group at
// cleanup. It returns after Start; the caller may Wait.
func StartCmd(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() { _ = proc.StopGroup(cmd, 3*time.Second) })
}

// ErrTimeout is returned by waiters that gave up.
var ErrTimeout = errors.New("testenv: timed out")

// MustHaveUtmpHelper skips (or fails in CI, with the install command) when
// the host has no utmp helper for a server's login records.
func MustHaveUtmpHelper(t testing.TB) {
	t.Helper()
	if _, ok := loginrec.FindHelper(); ok {
		return
	}
	if InCI() {
		t.Fatal("no utmp helper: apt-get install libutempter0")
	}
	t.Skip("skipping test: no utmp helper (libutempter0)")
}
