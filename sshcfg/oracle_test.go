package sshcfg

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// oracleResult is what OpenSSH's ssh did: the reference ssh-mosh is
// compared with.
type oracleResult struct {
	stdout, stderr string
	code           int
}

// runOpenSSH runs OpenSSH's ssh in a new session (no terminal: a prompt
// goes to SSH_ASKPASS or fails at once), without the developer's agent;
// env adds variables (SSH_AUTH_SOCK, SSH_ASKPASS, ...).
func runOpenSSH(t *testing.T, env []string, args ...string) oracleResult {
	t.Helper()
	bin := testenv.MustHaveExec(t, "ssh")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "SSH_AUTH_SOCK" && name != "SSH_ASKPASS" && name != "SSH_ASKPASS_REQUIRE" && name != "DISPLAY" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := oracleResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("running ssh: %v", err)
	}
	return res
}

// lineWith returns the first line of s that contains phrase, or "".
func lineWith(s, phrase string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, phrase) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
