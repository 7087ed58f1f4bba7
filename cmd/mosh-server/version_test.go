package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestBannerShape: --version keeps mosh 1.4's first line, which scripts
// parse for the mosh version, and names our version and the protocol in
// the "[build …]" slot (mosh puts its git version there).
func TestBannerShape(t *testing.T) {
	first, _, _ := strings.Cut(banner(), "\n")
	m := regexp.MustCompile(`^mosh-server \(mosh ([0-9.]+)\) \[build ([^\]]*)\]$`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line %q is not mosh's shape", first)
	}
	if m[1] != "1.4.0" || m[2] != "ssh-mosh devel, protocol 2" {
		t.Errorf("mosh %q, build %q; want 1.4.0 and \"ssh-mosh devel, protocol 2\"", m[1], m[2])
	}
	if n := strings.Count(banner(), "\n"); n != 5 {
		t.Errorf("banner has %d lines, mosh's has 5", n)
	}
}
