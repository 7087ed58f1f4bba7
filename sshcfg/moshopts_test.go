package sshcfg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ssh-mosh's own keywords: MoshTransport, MoshFallback and MoshServer, in
// ssh_config (next to IgnoreUnknown, so OpenSSH skips them) or with -o.
func TestMoshKeywords(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, "config")
	body := "IgnoreUnknown Mosh*\nHost box\n  HostName 10.1.2.3\n  MoshTransport ssh\n  MoshFallback no\n  MoshServer /opt/mosh/bin/mosh-server\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Home: home, LocalUser: "u", SystemConfig: "/nonexistent"}
	c, err := r.Resolve(cmdline(t, "-F", cfg), "box")
	if err != nil {
		t.Fatal(err)
	}
	if c.MoshTransport != "ssh" || c.MoshFallback != "no" || c.MoshServer != "/opt/mosh/bin/mosh-server" || c.Source != "native" {
		t.Errorf("from the file: %+v", c)
	}
	// -o comes first, as for every keyword.
	c, err = r.Resolve(cmdline(t, "-F", cfg, "-o", "MoshTransport=udp"), "box")
	if err != nil || c.MoshTransport != "udp" {
		t.Errorf("-o MoshTransport=udp: %v %q", err, c.MoshTransport)
	}
	// A bad value is one clear error naming the place.
	_, err = r.Resolve(cmdline(t, "-F", cfg, "-o", "MoshTransport=carrier-pigeon"), "box")
	if err == nil || !strings.Contains(err.Error(), "MoshTransport") || !strings.Contains(err.Error(), "auto, udp or ssh") {
		t.Errorf("bad MoshTransport: %v", err)
	}
	// Through ssh -G (which never sees them), the -o forms still apply.
	if _, err := FindRealSSH(""); err == nil {
		r.ForceSSHG = true
		c, err = r.Resolve(cmdline(t, "-F", cfg, "-o", "MoshFallback=yes"), "box")
		if err != nil {
			t.Fatalf("ssh -G with -o MoshFallback: %v", err)
		}
		if c.MoshFallback != "yes" || c.HostName != "10.1.2.3" {
			t.Errorf("ssh -G: %+v", c)
		}
	}
}

// cmdline is parse without the positional arguments.
func cmdline(t *testing.T, args ...string) *CommandLine {
	t.Helper()
	cl, _ := parse(t, args...)
	return cl
}
