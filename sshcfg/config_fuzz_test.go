package sshcfg

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResolve feeds arbitrary config bytes to the native resolver: it must
// return a Config or an error, never panic, and a Config must be usable.
func FuzzResolve(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/resolve/*.conf")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b, "foo")
		}
	}
	f.Add([]byte("Host *\n Port 0\n"), "x")
	f.Add([]byte("Host a?\n HostName %h%%%\n"), "ab")
	f.Add([]byte("ProxyJump a@b:99999,,@\n"), "h")
	f.Add([]byte("Host \"unterminated\n"), "h")
	f.Add([]byte("IdentityFile ${NOPE}/x\n"), "h")
	f.Add([]byte("ConnectTimeout 1w2d3h4m5s\nServerAliveInterval x\n"), "h")
	f.Fuzz(func(t *testing.T, data []byte, host string) {
		// Include would read arbitrary files of this machine.
		if bytes.Contains(bytes.ToLower(data), []byte("include")) || strings.ContainsAny(host, "\x00\n") {
			return
		}
		dir := t.TempDir()
		cfg := filepath.Join(dir, "config")
		if err := os.WriteFile(cfg, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r := &Resolver{SSH: "none", Home: dir, LocalUser: "u", LocalHostname: "h.example", SystemConfig: "/nonexistent"}
		o := &Options{}
		_ = o.setSSHFlag('F', cfg)
		c, err := r.Resolve(o, host)
		if err != nil {
			return
		}
		if c.Port <= 0 || c.Port > 65535 || c.HostName == "" {
			t.Fatalf("resolved config has bad port/host: %+v", c)
		}
		_ = c.Chain()
	})
}

func TestResolveErrorsCarryFileLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("Host bad\n\n    Port notaport\n"), 0o600)
	r := &Resolver{SSH: "none", Home: dir, LocalUser: "u", LocalHostname: "h"}
	o := &Options{}
	_ = o.setSSHFlag('F', cfg)
	_, err := r.Resolve(o, "bad")
	if err == nil || !strings.Contains(err.Error(), cfg+":3:") || !strings.Contains(err.Error(), "1 to 65535") {
		t.Fatalf("error = %v, want %s:3 and what to fix", err, cfg)
	}
	os.WriteFile(cfg, []byte("Match host x\n Port 1\n"), 0o600)
	_, err = r.Resolve(o, "x")
	if err == nil || !strings.Contains(err.Error(), cfg+":1:") || !strings.Contains(err.Error(), "install openssh-client") {
		t.Fatalf("Match without ssh: error = %v", err)
	}
}
