package session

import (
	"slices"
	"testing"
)

func TestChildEnv(t *testing.T) {
	env := []string{"PATH=/bin", "TERM=screen", "STY=123.pts", "MOSH_KEY=secret", "LANG=C.UTF-8", "X=1"}
	got := ChildEnv(env, 256, "/root", "X")
	want := []string{"PATH=/bin", "LANG=C.UTF-8", "TERM=xterm-256color", "NCURSES_NO_UTF8_ACS=1", "PWD=/root"}
	if !slices.Equal(got, want) {
		t.Errorf("ChildEnv = %q, want %q", got, want)
	}
	if got := ChildEnv(nil, 8, ""); !slices.Equal(got, []string{"TERM=xterm", "NCURSES_NO_UTF8_ACS=1"}) {
		t.Errorf("ChildEnv(8 colours) = %q", got)
	}
}
