package sshcfg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzHome is the home directory of fuzzed resolutions; their files
// exist only in memory.
const fuzzHome = "/home/u"

// fuzzFiles splits a fuzz input into in-memory config files: the text
// before the first "#>> NAME" line is the -F file, /fuzz/config, and each
// such line starts another file, NAME relative to ~/.ssh unless absolute,
// so Include lines have something to find.
func fuzzFiles(data []byte) MemFiles {
	files := MemFiles{}
	name := "/fuzz/config"
	var cur []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("#>> ")); ok {
			files[name] = cur
			name = strings.TrimSpace(string(rest))
			if !filepath.IsAbs(name) {
				name = filepath.Join(fuzzHome, ".ssh", name)
			}
			name = filepath.Clean(name)
			cur = nil
			continue
		}
		cur = append(cur, line...)
	}
	files[name] = cur
	return files
}

// FuzzResolve feeds arbitrary config files to the native resolver, from
// memory (no file is written, and no Include can reach this machine's
// files): it must return a Config or an error, never panic or loop, and a
// Config must be usable.
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
	f.Add([]byte("Include conf.d/*\nHost h\n Port 22\n#>> conf.d/a\nHost h\n Port 2201\n#>> conf.d/b\nUser b\n"), "h")
	f.Add([]byte("Include /fuzz/config\n"), "h")                                            // includes itself
	f.Add([]byte("Include *\n#>> a\nInclude *\n#>> b\nInclude *\n#>> c\nInclude *\n"), "h") // files including each other
	f.Add([]byte("Host h\n Include ~/.ssh/x [\n#>> x\nPort 7\n"), "h")
	f.Fuzz(func(t *testing.T, data []byte, host string) {
		if strings.ContainsAny(host, "\x00\n") {
			return
		}
		r := &Resolver{SSH: "none", Home: fuzzHome, LocalUser: "u", LocalHostname: "h.example",
			SystemConfig: "/etc/ssh/ssh_config", Files: fuzzFiles(data)}
		o := &CommandLine{}
		_ = o.Add('F', "/fuzz/config")
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

// TestResolveInclude: Include finds in-memory files relative to ~/.ssh,
// in sorted glob order, first value winning; a file that includes
// itself, or a fan of files including each other, ends with an error
// instead of running (nearly) forever.
func TestResolveInclude(t *testing.T) {
	resolve := func(data string) (*Config, error) {
		r := &Resolver{SSH: "none", Home: fuzzHome, LocalUser: "u", LocalHostname: "h", Files: fuzzFiles([]byte(data))}
		o := &CommandLine{}
		_ = o.Add('F', "/fuzz/config")
		return r.Resolve(o, "h")
	}
	c, err := resolve("Include conf.d/*\nHost h\n Port 22\n#>> conf.d/b\nUser bee\nPort 2202\n#>> conf.d/a\nHost h\n Port 2201\n")
	if err != nil || c.Port != 2201 || c.User != "bee" {
		t.Fatalf("Include: %+v, %v; want port 2201 from conf.d/a and user bee from conf.d/b", c, err)
	}
	if _, err := resolve("Include /fuzz/config\n"); err == nil || !strings.Contains(err.Error(), "Include") {
		t.Errorf("self-include: err = %v", err)
	}
	// 15 levels of three files, each including the three of the next
	// level: no loop and within the depth limit, but 3^15 reads.
	var fan strings.Builder
	fan.WriteString("Include l0_*\n")
	for level := range 15 {
		for _, f := range []string{"a", "b", "c"} {
			fmt.Fprintf(&fan, "#>> l%d_%s\nInclude l%d_*\n", level, f, level+1)
		}
	}
	start := time.Now()
	_, err = resolve(fan.String())
	if err == nil || !strings.Contains(err.Error(), "config files read") {
		t.Errorf("fan of includes: err = %v", err)
	}
	t.Logf("fan of includes refused after %v", time.Since(start))
}

func TestResolveErrorsCarryFileLine(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("Host bad\n\n    Port notaport\n"), 0o600)
	r := &Resolver{SSH: "none", Home: dir, LocalUser: "u", LocalHostname: "h"}
	o := &CommandLine{}
	_ = o.Add('F', cfg)
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
