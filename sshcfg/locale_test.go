package sshcfg

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func envMap(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestServerLocale(t *testing.T) {
	tests := []struct {
		env        []string
		want       []string
		wantNotice bool
	}{
		{[]string{"LANG=en_US.UTF-8", "LC_TIME=de_DE.UTF-8", "HOME=/x"}, []string{"LANG=en_US.UTF-8", "LC_TIME=de_DE.UTF-8"}, false},
		{[]string{"LC_ALL=C.utf8", "LANG=C"}, []string{"LANG=C", "LC_ALL=C.utf8"}, false},
		{[]string{"LANG=de_DE.UTF-8@euro"}, []string{"LANG=de_DE.UTF-8@euro"}, false},
		{[]string{"LANG=en_US.ISO-8859-1"}, []string{"LANG=C.UTF-8"}, true},
		{[]string{"LANG=en_US.UTF-8", "LC_ALL=C"}, []string{"LANG=C.UTF-8"}, true},
		{[]string{"LC_CTYPE=POSIX", "LANG=en_US.UTF-8"}, []string{"LANG=C.UTF-8"}, true},
		{nil, []string{"LANG=C.UTF-8"}, true},
		// macOS Terminal.app / iTerm2: a bare UTF-8, which a Linux host's
		// mosh-server would refuse ("needs a UTF-8 native locale").
		{[]string{"LC_CTYPE=UTF-8"}, []string{"LC_CTYPE=C.UTF-8"}, false},
		{[]string{"LANG=en_GB.UTF-8", "LC_CTYPE=UTF-8"}, []string{"LANG=en_GB.UTF-8", "LC_CTYPE=en_GB.UTF-8"}, false},
	}
	for _, tt := range tests {
		got, notice := ServerLocale(envMap(tt.env...))
		if !cmp.Equal(got, tt.want) || (notice != "") != tt.wantNotice {
			t.Errorf("ServerLocale(%q) = %q, %q; want %q, notice %v", tt.env, got, notice, tt.want, tt.wantNotice)
		}
	}
}
