package sshcfg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerCommandArgs: the sub-commands (sessions, attach, kill) reach
// mosh-server with their words intact, found as for a new session or
// named by --server, and a missing one exits 127 with a hint.
func TestServerCommandArgs(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "mosh-server")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"FAKE $0 $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(cmdline string, path string) (string, int) {
		// ServerCommand starts with /bin/sh -c, as sshd gives it to the
		// login shell.
		cmd := exec.Command("/bin/sh", "-c", cmdline)
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + path}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		return string(out), 0
	}
	if out, code := run(ServerCommand("", []string{"kill", "12 3"}), dir+":/usr/bin:/bin"); code != 0 || out != "FAKE "+fake+" kill 12 3\n" {
		t.Errorf("found in PATH: %d %q", code, out)
	}
	if out, code := run(ServerCommand(fake+" -v", []string{"sessions"}), "/usr/bin:/bin"); code != 0 || out != "FAKE "+fake+" -v sessions\n" {
		t.Errorf("--server: %d %q", code, out)
	}
	if out, code := run(strings.ReplaceAll(ServerCommand("", []string{"sessions"}), "mosh-server", "no-such-mosh-server"), "/nonexistent"); code != 127 || !strings.Contains(out, "--server=PATH") {
		t.Errorf("none: %d %q", code, out)
	}
	// attach replaces new's arguments, locale and command.
	s := remoteScript(ServerRequest{Args: []string{"attach", "42"}, Colors: 8, Command: []string{"x"}}, []string{"LANG=C.UTF-8"})
	if !strings.Contains(s, `'attach' '42'`) || strings.Contains(s, "'new'") || strings.Contains(s, "LANG=C.UTF-8") || strings.Contains(s, "'-c'") {
		t.Errorf("attach script: %s", s)
	}
}
