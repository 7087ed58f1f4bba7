package sshcfg

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanConfigHosts(t *testing.T) {
	hosts, includes, known := ScanConfigHosts([]byte(`# comment
Host alpha beta *.corp !gamma delta?
  HostName alpha.example
host=Equals
HOST  =  spaced   # trailing comment
Host "quoted one" two
Match exec "true"
Include conf.d/* ~/other
  UserKnownHostsFile ~/.ssh/kh1 "/tmp/kh 2"
GlobalKnownHostsFile=/etc/kh
Hostname notahost
`))
	if want := []string{"alpha", "beta", "Equals", "spaced", "two"}; !slices.Equal(hosts, want) {
		t.Errorf("hosts = %q, want %q", hosts, want)
	}
	if want := []string{"conf.d/*", "~/other"}; !slices.Equal(includes, want) {
		t.Errorf("includes = %q, want %q", includes, want)
	}
	if want := []string{"~/.ssh/kh1", "/tmp/kh 2", "/etc/kh"}; !slices.Equal(known, want) {
		t.Errorf("known hosts files = %q, want %q", known, want)
	}
}

func TestKnownHostsNames(t *testing.T) {
	got := KnownHostsNames([]byte(`# comment
plain.example,192.0.2.7 ssh-ed25519 AAAA
[bracket.example]:2222,[192.0.2.8]:2222 ssh-ed25519 AAAA
|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA
*.wild.example ssh-ed25519 AAAA
@cert-authority ca-host.example ssh-ed25519 AAAA
@revoked revoked.example ssh-ed25519 AAAA
!neg.example,ok.example ssh-rsa AAAA

::1 ssh-ed25519 AAAA
`))
	want := []string{"plain.example", "192.0.2.7", "bracket.example", "192.0.2.8", "ca-host.example", "ok.example", "::1"}
	if !slices.Equal(got, want) {
		t.Errorf("KnownHostsNames = %q, want %q", got, want)
	}
}

// TestCompletionHosts: user and system configs, Include (relative to
// ~/.ssh, globbed, nested, looping), known_hosts from the default places
// and from UserKnownHostsFile; sorted, no duplicates, missing files
// skipped.
func TestCompletionHosts(t *testing.T) {
	home := t.TempDir()
	sys := filepath.Join(t.TempDir(), "ssh_config")
	writeFile(t, filepath.Join(home, ".ssh", "config"), "Include conf.d/*.conf\nHost mac-mini *.wild\nUserKnownHostsFile ~/.ssh/extra_known\n")
	writeFile(t, filepath.Join(home, ".ssh", "conf.d", "a.conf"), "Host pi4 mac-mini\nInclude ~/.ssh/conf.d/b.conf\n")
	writeFile(t, filepath.Join(home, ".ssh", "conf.d", "b.conf"), "Host arm-box\nInclude ~/.ssh/conf.d/b.conf\n") // includes itself
	writeFile(t, filepath.Join(home, ".ssh", "conf.d", "skip.txt"), "Host not-globbed\n")
	writeFile(t, sys, "Host *\n  SendEnv LANG\nHost sys-host\n")
	writeFile(t, filepath.Join(home, ".ssh", "known_hosts"), "kh.example ssh-ed25519 AAAA\n|1|x|y ssh-ed25519 AAAA\n")
	writeFile(t, filepath.Join(home, ".ssh", "extra_known"), "[extra.example]:2222 ssh-ed25519 AAAA\n")
	src := DefaultHostSources(home)
	src.SystemConfig = sys
	src.KnownHosts = append(src.KnownHosts[:2], filepath.Join(home, "missing"))
	got := CompletionHosts(src)
	want := []string{"arm-box", "extra.example", "kh.example", "mac-mini", "pi4", "sys-host"}
	if !slices.Equal(got, want) {
		t.Errorf("CompletionHosts = %q, want %q", got, want)
	}
	// Nothing there: nothing offered, no error.
	if got := CompletionHosts(HostSources{Home: t.TempDir()}); len(got) != 0 {
		t.Errorf("empty home: %q", got)
	}
}
