package main

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// localEnv is the terminal environment of the --local tests: a marker that
// every process of the session inherits, so the test can find whatever
// would outlive it. (tmux sets SHELL itself, so the login shell is the
// machine's.)
func localEnv(t *testing.T) (env []string, marker string) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	marker = "SSH_MOSH_LOCAL_TEST=" + hex.EncodeToString(b)
	return []string{marker}, marker
}

// leftovers lists the live processes carrying marker.
func leftovers(marker string) []int {
	return testenv.PIDsWithEnv(func(kv string) bool { return kv == marker })
}

// expectNoLeftovers waits a little for the session's processes to go, then
// fails naming those still there.
func expectNoLeftovers(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := leftovers(marker)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("processes left behind:\n%s", describe(pids))
			testenv.KillPIDs(pids)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hasLoginShell reports whether one of pids runs as a login shell (argv[0]
// "-sh", "-bash", …).
func hasLoginShell(pids []int) bool {
	for _, p := range pids {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		if len(cmdline) > 1 && cmdline[0] == '-' {
			return true
		}
	}
	return false
}

// TestLocalGoRun runs exactly what the README's first line says,
// `go run ./cmd/ssh-mosh --local`, from the module root in a terminal:
// the shell answers, Ctrl-^ . quits with status 0, the terminal's settings
// are restored and no process is left.
func TestLocalGoRun(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	goBin := testenv.MustHaveExec(t, "go")
	t.Parallel()
	root, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	env, marker := localEnv(t)
	s := startClient(t, testenv.TmuxOptions{Dir: filepath.Dir(strings.TrimSpace(string(root)))},
		[]string{goBin, "run", "./cmd/ssh-mosh", "--local"}, env...)
	// go run compiles first: allow it the time a cold build cache needs.
	s.SendText("echo local-$((6*7))")
	s.SendKeys("Enter")
	s.WaitFor("local-42", 3*time.Minute)
	// The marker must reach the session's login shell, or finding no
	// leftovers later proves nothing.
	if !hasLoginShell(leftovers(marker)) {
		t.Fatalf("no login shell among the session's processes:\n%s", describe(leftovers(marker)))
	}
	s.quit()
	s.sttyUnchanged()
	expectNoLeftovers(t, marker)
}

// TestLocalImpaired runs --local through the netem proxy (50 ms each way,
// 5 % loss): the session still types and quits cleanly.
func TestLocalImpaired(t *testing.T) {
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	t.Parallel()
	env, marker := localEnv(t)
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	// A plain sh as the login shell: a developer's bash profile can take
	// seconds on a loaded machine, which is not what this test measures.
	s := startClient(t, testenv.TmuxOptions{},
		[]string{"env", "SHELL=/bin/sh", "ENV=", bin, "--local", "--delay", "50ms", "--loss", "0.05"}, env...)
	for _, n := range []string{"1", "2", "3"} {
		s.run("echo impaired-$((40+"+n+"))", "impaired-4"+n+"\n")
	}
	if !hasLoginShell(leftovers(marker)) {
		t.Fatalf("no login shell among the session's processes:\n%s", describe(leftovers(marker)))
	}
	s.quit()
	s.sttyUnchanged()
	expectNoLeftovers(t, marker)
}

// describe lists pids with their command lines, for failure messages.
func describe(pids []int) string {
	var b strings.Builder
	for _, p := range pids {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p), "cmdline"))
		b.WriteString(strconv.Itoa(p) + ": " + strings.ReplaceAll(string(cmdline), "\x00", " ") + "\n")
	}
	return b.String()
}
