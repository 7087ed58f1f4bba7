package session

import (
	"slices"
	"testing"
)

func TestChildEnv(t *testing.T) {
	env := []string{"PATH=/bin", "TERM=screen", "STY=123.pts", "MOSH_KEY=secret", "LANG=C.UTF-8", "X=1",
		"MOSH_SERVER_NETWORK_TMOUT=600", "MOSH_SERVER_SIGNAL_TMOUT=60", "PWD=/tmp", "NCURSES_NO_UTF8_ACS=0"}
	got := ChildEnv(env, 256, "/root", "X")
	// mosh-server changes TERM, NCURSES_NO_UTF8_ACS, STY and PWD only; the
	// timeouts are the session's policy, for scripts to read.
	want := []string{"PATH=/bin", "LANG=C.UTF-8", "MOSH_SERVER_NETWORK_TMOUT=600", "MOSH_SERVER_SIGNAL_TMOUT=60",
		"TERM=xterm-256color", "NCURSES_NO_UTF8_ACS=1", "PWD=/root"}
	if !slices.Equal(got, want) {
		t.Errorf("ChildEnv = %q, want %q", got, want)
	}
	if got := ChildEnv(nil, 8, ""); !slices.Equal(got, []string{"TERM=xterm", "NCURSES_NO_UTF8_ACS=1"}) {
		t.Errorf("ChildEnv(8 colours) = %q", got)
	}
}
