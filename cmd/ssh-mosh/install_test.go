package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// TestMakeInstall runs `make install` into a staging DESTDIR, as a packager
// would: both binaries (stamped with VERSION), both man pages and the three
// completion scripts land where PREFIX says, and groff renders the man
// pages without a warning.
func TestMakeInstall(t *testing.T) {
	mk := testenv.MustHaveExec(t, "make")
	groff := testenv.MustHaveExec(t, "groff")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	stage, build := t.TempDir(), t.TempDir()
	cmd := exec.Command(mk, "-C", root, "install", "DESTDIR="+stage, "PREFIX=/usr/local", "BUILDDIR="+build, "VERSION=v9.9.9-test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	prefix := filepath.Join(stage, "usr", "local")
	for _, f := range []string{
		"bin/ssh-mosh", "bin/mosh-server", "share/man/man1/ssh-mosh.1", "share/man/man1/mosh-server.1",
		"share/bash-completion/completions/ssh-mosh", "share/zsh/site-functions/_ssh-mosh",
		"share/fish/vendor_completions.d/ssh-mosh.fish",
	} {
		if st, err := os.Stat(filepath.Join(prefix, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not installed: %v", f, err)
		}
	}
	out, err := exec.Command(filepath.Join(prefix, "bin", "ssh-mosh"), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "ssh-mosh v9.9.9-test\n") {
		t.Errorf("installed ssh-mosh --version: %q, %v", out, err)
	}
	out, err = exec.Command(filepath.Join(prefix, "bin", "mosh-server"), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "mosh-server (mosh 1.4.0) [build ssh-mosh v9.9.9-test, protocol 2]\n") {
		t.Errorf("installed mosh-server --version: %q, %v", out, err)
	}
	for _, page := range []string{"ssh-mosh.1", "mosh-server.1"} {
		var stdout, stderr bytes.Buffer
		render := exec.Command(groff, "-man", "-Tutf8", "-ww", filepath.Join(prefix, "share", "man", "man1", page))
		render.Stdout, render.Stderr = &stdout, &stderr
		if err := render.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("groff %s: %v\n%s", page, err, stderr.String())
		}
		// grotty marks bold by overstriking (S\bS); read the plain text.
		plain := regexp.MustCompile(".\b").ReplaceAllString(stdout.String(), "")
		if !strings.Contains(plain, "SYNOPSIS") || !strings.Contains(plain, "SEE ALSO") {
			t.Errorf("groff %s rendered no SYNOPSIS", page)
		}
	}
}
