package session

import (
	"slices"
	"strings"
)

// ChildEnv is the environment of the application a server runs: env without
// the variables mosh-server controls, plus TERM by colour count
// (xterm-256color for 256 colours, else xterm), NCURSES_NO_UTF8_ACS=1 so
// ncurses draws lines in UTF-8, PWD=home, and no STY so GNU screen regards
// itself as top level — as mosh-server sets them. drop names further
// variables to remove (e.g. a daemon marker).
func ChildEnv(env []string, colors int, home string, drop ...string) []string {
	termName := "xterm"
	if colors == 256 {
		termName = "xterm-256color"
	}
	remove := append([]string{"TERM", "NCURSES_NO_UTF8_ACS", "STY", "PWD",
		"MOSH_SERVER_NETWORK_TMOUT", "MOSH_SERVER_SIGNAL_TMOUT", "MOSH_KEY"}, drop...)
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(remove, name)
	})
	out = append(out, "TERM="+termName, "NCURSES_NO_UTF8_ACS=1")
	if home != "" {
		out = append(out, "PWD="+home)
	}
	return out
}
