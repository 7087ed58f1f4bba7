package sshcfg

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parseOpts(t *testing.T, args ...string) *Options {
	t.Helper()
	var o Options
	fs := pflag.NewFlagSet("ssh-mosh", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &o
}

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
	c, err := r.Resolve(parseOpts(t, "-F", cfg), "box")
	if err != nil {
		t.Fatal(err)
	}
	if c.MoshTransport != "ssh" || c.MoshFallback != "no" || c.MoshServer != "/opt/mosh/bin/mosh-server" || c.Source != "native" {
		t.Errorf("from the file: %+v", c)
	}
	// -o comes first, as for every keyword.
	c, err = r.Resolve(parseOpts(t, "-F", cfg, "-o", "MoshTransport=udp"), "box")
	if err != nil || c.MoshTransport != "udp" {
		t.Errorf("-o MoshTransport=udp: %v %q", err, c.MoshTransport)
	}
	// A bad value is one clear error naming the place.
	_, err = r.Resolve(parseOpts(t, "-F", cfg, "-o", "MoshTransport=carrier-pigeon"), "box")
	if err == nil || !strings.Contains(err.Error(), "MoshTransport") || !strings.Contains(err.Error(), "auto, udp or ssh") {
		t.Errorf("bad MoshTransport: %v", err)
	}
	// Through ssh -G (which never sees them), the -o forms still apply.
	if _, err := FindRealSSH(""); err == nil {
		r.ForceSSHG = true
		c, err = r.Resolve(parseOpts(t, "-F", cfg, "-o", "MoshFallback=yes"), "box")
		if err != nil {
			t.Fatalf("ssh -G with -o MoshFallback: %v", err)
		}
		if c.MoshFallback != "yes" || c.HostName != "10.1.2.3" {
			t.Errorf("ssh -G: %+v", c)
		}
	}
}

func TestPassthroughDropsMoshOptions(t *testing.T) {
	for _, tt := range []struct{ in, want []string }{
		{[]string{"ssh-mosh", "-o", "MoshTransport=ssh", "host", "ls"}, []string{"/ssh", "host", "ls"}},
		{[]string{"ssh-mosh", "-oMoshFallback=no", "-p22", "host"}, []string{"/ssh", "-p22", "host"}},
		{[]string{"ssh-mosh", "-4o", "MoshServer /x", "-o", "Port=22", "host"}, []string{"/ssh", "-4", "-o", "Port=22", "host"}},
		// ssh reads options after the destination too: ours are dropped there as well.
		{[]string{"ssh-mosh", "host", "-o", "MoshTransport=ssh"}, []string{"/ssh", "host"}},
		{[]string{"ssh-mosh", "host", "--predict=never", "-p", "22", "ls", "-o", "MoshTransport=ssh"}, []string{"/ssh", "host", "-p", "22", "ls", "-o", "MoshTransport=ssh"}},
		{[]string{"ssh-mosh", "--", "host", "--predict=never"}, []string{"/ssh", "--", "host", "--predict=never"}},
	} {
		got, err := PassthroughArgv("/ssh", tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("PassthroughArgv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
