package locale

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestIsUTF8(t *testing.T) {
	for name, want := range map[string]bool{
		"C.UTF-8": true, "C.utf8": true, "en_US.UTF-8": true, "de_DE.utf8@euro": true,
		"C": false, "POSIX": false, "en_US": false, "en_US.ISO-8859-1": false, "": false,
	} {
		if got := IsUTF8(name); got != want {
			t.Errorf("IsUTF8(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCType(t *testing.T) {
	env := []string{"LANG=en_US.UTF-8", "LC_CTYPE=de_DE.UTF-8"}
	if got := CType(env); got != "de_DE.UTF-8" {
		t.Errorf("CType = %q", got)
	}
	if got := CType(append(env, "LC_ALL=C")); got != "C" {
		t.Errorf("CType with LC_ALL = %q", got)
	}
	if got := CType(nil); got != "C" {
		t.Errorf("CType(nil) = %q", got)
	}
}

func TestChoose(t *testing.T) {
	debian := ParseList([]byte("C\nC.utf8\nPOSIX\n"))
	full := ParseList([]byte("C\nC.utf8\nPOSIX\nen_US.utf8\nfr_FR.utf8\n"))
	tests := []struct {
		name       string
		env, vars  []string
		installed  Set
		wantCType  string
		wantNotice string // substring; "" = no notice
		wantErr    error
	}{
		{name: "own UTF-8 kept", env: []string{"PATH=/bin", "LANG=C.UTF-8"}, vars: []string{"LANG=fr_FR.UTF-8"}, installed: full, wantCType: "C.UTF-8"},
		{name: "client locale applied", env: []string{"PATH=/bin"}, vars: []string{"LANG=fr_FR.UTF-8"}, installed: full, wantCType: "fr_FR.UTF-8"},
		{name: "missing locale falls back", env: []string{"PATH=/bin"}, vars: []string{"LANG=xx_XX.UTF-8"}, installed: debian,
			wantCType: "C.UTF-8", wantNotice: "locale xx_XX.UTF-8 is not installed here; using C.UTF-8"},
		{name: "own not installed either", env: []string{"LANG=en_US.UTF-8"}, vars: []string{"LC_ALL=en_US.UTF-8"}, installed: debian,
			wantCType: "C.UTF-8", wantNotice: "en_US.UTF-8 is not installed here"},
		{name: "non UTF-8 client", env: nil, vars: []string{"LANG=en_US.ISO-8859-1"}, installed: full,
			wantCType: "C.UTF-8", wantNotice: "is not UTF-8"},
		{name: "plain C", env: []string{"LANG=C"}, installed: debian, wantCType: "C.UTF-8", wantNotice: "using C.UTF-8"},
		{name: "foreign vars ignored", env: nil, vars: []string{"PATH=/evil", "LANG=C.UTF-8"}, installed: debian, wantCType: "C.UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Choose(tt.env, tt.vars, tt.installed)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := CType(c.Env); got != tt.wantCType || c.Locale != tt.wantCType {
				t.Errorf("CType = %q (Locale %q), want %q; env %q", got, c.Locale, tt.wantCType, c.Env)
			}
			if tt.wantNotice == "" && c.Notice != "" || !strings.Contains(c.Notice, tt.wantNotice) {
				t.Errorf("Notice = %q, want %q", c.Notice, tt.wantNotice)
			}
			if slices.Contains(c.Env, "PATH=/evil") {
				t.Errorf("a non-locale client variable leaked into the environment: %q", c.Env)
			}
		})
	}
}

func TestChooseNoUTF8(t *testing.T) {
	_, err := Choose([]string{"LANG=en_US.UTF-8"}, nil, ParseList([]byte("C\nPOSIX\nen_US.iso88591\n")))
	if !errors.Is(err, ErrNoUTF8) {
		t.Fatalf("err = %v, want ErrNoUTF8", err)
	}
	if !strings.Contains(err.Error(), "locale-gen") {
		t.Errorf("the error should name the fix: %v", err)
	}
	// Any installed UTF-8 locale is better than none.
	c, err := Choose([]string{"LANG=C"}, nil, ParseList([]byte("C\nPOSIX\nsv_SE.utf8\n")))
	if err != nil || c.Locale != "sv_SE.utf8" {
		t.Errorf("Choose = %+v, %v; want sv_SE.utf8", c, err)
	}
}

func TestInstalledHasCUTF8(t *testing.T) {
	if !Installed().Has("C.UTF-8") {
		t.Error("C.UTF-8 should always be available")
	}
}
