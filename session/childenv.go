package session

import (
	"slices"
	"strings"
)

// ChildEnv is the environment of the application a server runs: env as the
// server got it, with TERM by colour count (xterm-256color for 256 colours,
// else xterm), NCURSES_NO_UTF8_ACS=1 so ncurses draws lines in UTF-8,
// PWD=home, and no STY so GNU screen regards itself as top level — exactly
// what mosh-server changes. Everything else passes through, including
// MOSH_SERVER_NETWORK_TMOUT and MOSH_SERVER_SIGNAL_TMOUT, which scripts
// read to learn the session's policy. MOSH_KEY is removed: a session key
// never reaches the user's programs. drop names further variables to
// remove (e.g. a daemon marker).
func ChildEnv(env []string, colors int, home string, drop ...string) []string {
	termName := "xterm"
	if colors == 256 {
		termName = "xterm-256color"
	}
	remove := append([]string{"TERM", "NCURSES_NO_UTF8_ACS", "STY", "PWD", "MOSH_KEY"}, drop...)
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
