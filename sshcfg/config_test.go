package sshcfg

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// corpusCase is one query against one corpus config.
type corpusCase struct {
	file      string
	args      []string // before the -F added by the test
	source    string   // expected Config.Source, "" = either
	wantError bool
}

// loadCorpus copies testdata/resolve into dir (replacing {{DIR}} so that
// Include lines find their files) and reads each file's header:
// "# query: ARGS", "# source: native|ssh -G", "# error".
func loadCorpus(t *testing.T, dir string) []corpusCase {
	t.Helper()
	var cases []corpusCase
	err := filepath.WalkDir("testdata/resolve", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata/resolve", path)
		dst := filepath.Join(dir, rel)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, []byte(strings.ReplaceAll(string(data), "{{DIR}}", dir)), 0o644); err != nil {
			return err
		}
		if filepath.Dir(rel) != "." {
			return nil
		}
		var source string
		var wantErr bool
		var queries [][]string
		for _, line := range strings.Split(string(data), "\n") {
			switch {
			case strings.HasPrefix(line, "# query: "):
				args, err := SplitShellWords(strings.TrimPrefix(line, "# query: "))
				if err != nil {
					return err
				}
				queries = append(queries, args)
			case strings.HasPrefix(line, "# source: "):
				source = strings.TrimPrefix(line, "# source: ")
			case line == "# error":
				wantErr = true
			}
		}
		for _, q := range queries {
			cases = append(cases, corpusCase{file: dst, args: q, source: source, wantError: wantErr})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestResolveMatchesSSHG is the differential test: for every corpus query,
// Resolve (native where it can) must equal what OpenSSH's `ssh -G` says.
func TestResolveMatchesSSHG(t *testing.T) {
	sshPath := testenv.MustHaveExec(t, "ssh")
	// ssh reads ~ from the password database, not $HOME; a temp HOME proves
	// neither side looks at the developer's files through it.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SSHCFG_TEST_KEYDIR", "/keys/dir")
	dir := t.TempDir()
	cases := loadCorpus(t, dir)
	if len(cases) < 15 {
		t.Fatalf("corpus has %d queries, want at least 15", len(cases))
	}
	files := map[string]bool{}
	for _, c := range cases {
		files[c.file] = true
		name := filepath.Base(c.file) + "/" + strings.Join(c.args, "_")
		t.Run(name, func(t *testing.T) {
			args := append([]string{"-F", c.file}, c.args...)
			o, rest := parse(t, args...)
			got, gotErr := (&Resolver{SSH: sshPath}).Resolve(o, rest[0])
			o2, _ := parse(t, args...)
			want, wantErr := (&Resolver{SSH: sshPath, ForceSSHG: true}).Resolve(o2, rest[0])
			if c.wantError {
				if gotErr == nil || wantErr == nil {
					t.Fatalf("want errors from both: Resolve: %v; ssh -G: %v", gotErr, wantErr)
				}
				return
			}
			if gotErr != nil || wantErr != nil {
				t.Fatalf("Resolve: %v; ssh -G: %v", gotErr, wantErr)
			}
			if diff := cmp.Diff(want, got, ignoreSourceAndForwards); diff != "" {
				t.Errorf("Resolve differs from ssh -G (-ssh +ours):\n%s", diff)
			}
			if c.source != "" && got.Source != c.source {
				t.Errorf("Source = %q, want %q", got.Source, c.source)
			}
		})
	}
	if len(files) < 15 {
		t.Errorf("corpus has %d configs, want at least 15", len(files))
	}
}

// TestResolveDefaultFiles resolves without -F: the user's config and
// /etc/ssh/ssh_config, whatever they hold, must read the same as ssh.
func TestResolveDefaultFiles(t *testing.T) {
	sshPath := testenv.MustHaveExec(t, "ssh")
	for _, host := range []string{"example.org", "u@127.0.0.1"} {
		o, rest := parse(t, host)
		got, err1 := (&Resolver{SSH: sshPath}).Resolve(o, rest[0])
		want, err2 := (&Resolver{SSH: sshPath, ForceSSHG: true}).Resolve(o, rest[0])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v / %v", host, err1, err2)
		}
		if diff := cmp.Diff(want, got, ignoreSourceAndForwards); diff != "" {
			t.Errorf("%s: differs from ssh -G:\n%s", host, diff)
		}
	}
}

// TestTokensMatchSSH checks % token expansion against ssh itself: ssh -G
// prints IdentityFile unexpanded but expands UserKnownHostsFile with the
// same tokens, so the raw names are fed back as UserKnownHostsFile.
func TestTokensMatchSSH(t *testing.T) {
	sshPath := testenv.MustHaveExec(t, "ssh")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	raw := []string{"~/.ssh/id_%r@%h-%p_%n_%u_%%", "%d/keys/%L/%l/%i", "/k/%C", "/j/%k"}
	body := "Host tok\n  HostName %h.internal\n  User remote\n  Port 2022\n  ProxyJump hop\n"
	for _, r := range raw {
		body += "  IdentityFile " + r + "\n"
	}
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	o, _ := parse(t, "-F", cfg, "tok")
	got, err := (&Resolver{SSH: sshPath}).Resolve(o, "tok")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sshPath, "-G", "-F", cfg, "-o", "UserKnownHostsFile="+strings.Join(raw, " "), "tok").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "userknownhostsfile "); ok {
			want = strings.Fields(v)
		}
	}
	if diff := cmp.Diff(want, got.IdentityFiles); diff != "" {
		t.Errorf("IdentityFile token expansion differs from ssh (-ssh +ours):\n%s", diff)
	}
}

// ignoreSourceAndForwards: ssh -G prints forwardings normalised
// ("8080 [localhost]:80"); Config keeps them as written, and only their
// presence matters (DecideConfig), so only their number is compared.
var ignoreSourceAndForwards = cmp.Options{
	cmpopts.IgnoreFields(Config{}, "Source"),
	cmp.Comparer(func(a, b []string) bool {
		if len(a) == len(b) && len(a) > 0 && strings.Contains(a[0]+b[0], "]:") {
			return true
		}
		return cmp.Equal(a, b, cmpopts.EquateEmpty())
	}),
}

// TestBadConfigInOpenSSHWords: a keyword OpenSSH does not know, in a file or
// in -o, fails with what ssh itself says, on one line. ssh ends each line it
// writes to stderr with "\r\n"; a carriage return left in the message sent
// the cursor back, and the second line overwrote the first on the terminal.
func TestBadConfigInOpenSSHWords(t *testing.T) {
	sshPath := testenv.MustHaveExec(t, "ssh")
	t.Setenv("HOME", t.TempDir())
	cfg := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(cfg, []byte("Host target\n  HostName 127.0.0.1\n  NoSuchKeyword yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-F", cfg, "target"},
		{"-F", "none", "-o", "BadOption=yes", "target"},
	} {
		o, rest := parse(t, args...)
		_, err := (&Resolver{SSH: sshPath}).Resolve(o, rest[0])
		if err == nil {
			t.Fatalf("%q: resolved", args)
		}
		out, sshErr := exec.Command(sshPath, append([]string{"-G"}, args...)...).CombinedOutput()
		if sshErr == nil {
			t.Fatalf("oracle: ssh -G %q succeeded", args)
		}
		var want []string
		for _, l := range strings.Split(string(out), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				want = append(want, l)
			}
		}
		if got := err.Error(); got != strings.Join(want, "; ") {
			t.Errorf("%q: error %q, want ssh's words %q", args, got, want)
		}
	}
}
