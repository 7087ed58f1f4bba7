package sshcfg

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FindRealSSH must skip a "ssh" that is ssh-mosh itself, however it is
// installed: symlinked or hard-linked first in PATH.
func TestFindRealSSHSkipsSelf(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	realDir := t.TempDir()
	fakeReal := filepath.Join(realDir, "ssh")
	if err := os.WriteFile(fakeReal, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	linkDir := t.TempDir()
	if err := os.Symlink(self, filepath.Join(linkDir, "ssh")); err != nil {
		t.Fatal(err)
	}
	got, err := findRealSSH(self, linkDir+string(os.PathListSeparator)+realDir)
	if err != nil || got != fakeReal {
		t.Fatalf("findRealSSH with symlinked self first = %q, %v; want %q", got, err, fakeReal)
	}
	// Also when self is reached through the symlink (argv[0] = "ssh").
	got, err = findRealSSH(filepath.Join(linkDir, "ssh"), linkDir+string(os.PathListSeparator)+realDir)
	if err != nil || got != fakeReal {
		t.Fatalf("findRealSSH via the link = %q, %v; want %q", got, err, fakeReal)
	}
	// A hard link (same inode) is ourselves too.
	hardDir := filepath.Join(filepath.Dir(self), "hard")
	if err := os.Mkdir(hardDir, 0o755); err == nil {
		defer os.RemoveAll(hardDir)
		if err := os.Link(self, filepath.Join(hardDir, "ssh")); err == nil {
			got, err = findRealSSH(self, hardDir+string(os.PathListSeparator)+realDir)
			if err != nil || got != fakeReal {
				t.Fatalf("findRealSSH with hard-linked self = %q, %v; want %q", got, err, fakeReal)
			}
		}
	}
	if _, err := findRealSSH(self, linkDir); !errors.Is(err, ErrNoOpenSSH) {
		t.Fatalf("only ourselves in PATH: err = %v, want ErrNoOpenSSH", err)
	}
}
