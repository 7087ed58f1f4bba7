package locale

import (
	"slices"
	"testing"
)

func TestCodesetOnly(t *testing.T) {
	for name, want := range map[string]bool{
		"UTF-8": true, "utf8": true, "UTF8": true, "utf-8": true,
		"C.UTF-8": false, "en_US.UTF-8": false, "C": false, "": false, "ISO-8859-1": false, "en_US": false,
	} {
		if got := CodesetOnly(name); got != want {
			t.Errorf("CodesetOnly(%q) = %v, want %v", name, got, want)
		}
		if want && !IsUTF8(name) {
			t.Errorf("IsUTF8(%q) = false for a bare UTF-8", name)
		}
	}
}

// TestPortable: what a macOS client forwards, rewritten so a Linux host
// (glibc knows no bare UTF-8) gets a UTF-8 locale by a name it can have.
func TestPortable(t *testing.T) {
	tests := []struct {
		name     string
		in, want []string
	}{
		{"Terminal.app without LANG", []string{"LC_CTYPE=UTF-8"}, []string{"LC_CTYPE=C.UTF-8"}},
		{"iTerm2 with LANG", []string{"LANG=de_DE.UTF-8", "LC_CTYPE=UTF-8"}, []string{"LANG=de_DE.UTF-8", "LC_CTYPE=de_DE.UTF-8"}},
		{"LC_ALL names the language", []string{"LC_CTYPE=utf8", "LC_ALL=fr_FR.UTF-8"}, []string{"LC_CTYPE=fr_FR.UTF-8", "LC_ALL=fr_FR.UTF-8"}},
		{"non-UTF-8 LANG is not borrowed", []string{"LANG=en_US.ISO-8859-1", "LC_CTYPE=UTF-8"}, []string{"LANG=en_US.ISO-8859-1", "LC_CTYPE=C.UTF-8"}},
		{"every bare variable", []string{"LANG=UTF-8", "LC_ALL=UTF-8"}, []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8"}},
		{"Linux client unchanged", []string{"LANG=en_US.UTF-8", "LC_TIME=C"}, []string{"LANG=en_US.UTF-8", "LC_TIME=C"}},
		{"not a locale variable", []string{"TERM=UTF-8", "LANG=C"}, []string{"TERM=UTF-8", "LANG=C"}},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			got := Portable(in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Portable(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("Portable modified its argument: %q", in)
			}
			// The character set survives the rewrite.
			if IsUTF8(CType(tt.in)) != IsUTF8(CType(got)) {
				t.Errorf("UTF-8-ness changed: %q -> %q", CType(tt.in), CType(got))
			}
		})
	}
}

// TestChooseBareUTF8: our mosh-server given macOS's LC_CTYPE=UTF-8 (the
// real mosh wrapper forwards it unchanged) runs the session in a UTF-8
// locale the host has, silently because the character set is what was
// asked; on macOS, which has the bare UTF-8 locale, it is kept.
func TestChooseBareUTF8(t *testing.T) {
	linux := ParseList([]byte("C\nC.utf8\nPOSIX\n"))
	mac := ParseList([]byte("C\nPOSIX\nUTF-8\nen_US.UTF-8\nfr_FR.UTF-8\n"))
	macOld := ParseList([]byte("C\nPOSIX\nUTF-8\n"))
	tests := []struct {
		name       string
		env, vars  []string
		installed  Set
		want       string
		wantNotice bool
	}{
		{"linux host", []string{"PATH=/bin"}, []string{"LC_CTYPE=UTF-8"}, linux, "C.UTF-8", false},
		{"macOS host keeps it", []string{"PATH=/bin"}, []string{"LC_CTYPE=UTF-8"}, mac, "UTF-8", false},
		{"macOS sshd env kept", []string{"LC_CTYPE=UTF-8"}, nil, mac, "UTF-8", false},
		{"C.UTF-8 missing on macOS", nil, []string{"LANG=C.UTF-8"}, mac, "en_US.UTF-8", true},
		{"only the bare one", nil, []string{"LANG=C.UTF-8"}, macOld, "UTF-8", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Choose(tt.env, tt.vars, tt.installed)
			if err != nil {
				t.Fatal(err)
			}
			if c.Locale != tt.want || CType(c.Env) != tt.want {
				t.Errorf("Locale %q (env %q), want %q", c.Locale, c.Env, tt.want)
			}
			if (c.Notice != "") != tt.wantNotice {
				t.Errorf("Notice = %q, want one: %v", c.Notice, tt.wantNotice)
			}
		})
	}
}

func TestNormalizeBareUTF8(t *testing.T) {
	s := ParseList([]byte("UTF-8\n"))
	for _, n := range []string{"UTF-8", "utf8", "utf-8"} {
		if !s.Has(n) {
			t.Errorf("Has(%q) = false with UTF-8 installed", n)
		}
	}
}

func TestLocaleDirListed(t *testing.T) {
	// The fallback directory exists and lists a UTF-8 locale here (glibc
	// keeps C.utf8 there; macOS has en_US.UTF-8 in /usr/share/locale).
	s, err := readLocaleDir(localeDir)
	if err != nil {
		t.Fatalf("%s: %v", localeDir, err)
	}
	utf8 := false
	for name := range s {
		utf8 = utf8 || IsUTF8(name)
	}
	if !utf8 {
		t.Errorf("%s lists no UTF-8 locale: %v", localeDir, s)
	}
}
