package sshcfg

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestServerSearchDirsMacOS: the places macOS and FreeBSD package managers
// install mosh-server are searched, native Homebrew first.
func TestServerSearchDirsMacOS(t *testing.T) {
	idx := func(d string) int { return slices.Index(serverSearchDirs, d) }
	for _, d := range []string{"/opt/homebrew/bin", "/usr/local/bin", "/opt/local/bin"} {
		if idx(d) < 0 {
			t.Errorf("%s is not searched: %q", d, serverSearchDirs)
		}
	}
	if idx("/opt/homebrew/bin") > idx("/usr/local/bin") {
		t.Errorf("Homebrew on Apple silicon should win over /usr/local/bin: %q", serverSearchDirs)
	}
}

// TestRemoteScriptSearch runs the remote script under sh with a PATH that
// has no mosh-server, as a macOS sshd gives: the first search directory
// holding one is used, with the arguments mosh.pl would pass.
func TestRemoteScriptSearch(t *testing.T) {
	home := t.TempDir()
	// What the script will find: the first directory that has one, where
	// $HOME/.local/bin (ours) comes last unless this machine has another.
	want := ""
	for _, d := range serverSearchDirs {
		p := filepath.Join(strings.ReplaceAll(d, "$HOME", home), "mosh-server")
		if d == "$HOME/.local/bin" {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("#!/bin/sh\necho \"FAKE $0 $*\"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if st, err := os.Stat(p); want == "" && err == nil && st.Mode()&0o111 != 0 {
			want = p
		}
	}
	script := remoteScript(ServerRequest{Colors: 8}, []string{"LC_CTYPE=C.UTF-8"})
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Env = []string{"HOME=" + home, "PATH=" + t.TempDir()}
	// The script's last `read` meets end of input here and fails; the
	// output is what counts.
	out, _ := cmd.CombinedOutput()
	line := "FAKE " + want + " new -s -c 8 -l LC_CTYPE=C.UTF-8"
	if !strings.Contains(string(out), line) || !strings.Contains(string(out), markDone+"0") {
		t.Errorf("output %q lacks %q and the done marker", out, line)
	}

	// With nothing anywhere, the script says so and names PATH.
	cmd = exec.Command("/bin/sh", "-c", strings.ReplaceAll(script, "mosh-server", "no-such-mosh-server"))
	cmd.Env = []string{"HOME=" + home, "PATH=/nonexistent"}
	out, _ = cmd.CombinedOutput()
	if !strings.Contains(string(out), markNotFound+"PATH=/nonexistent") {
		t.Errorf("no not-found marker: %q", out)
	}
}
