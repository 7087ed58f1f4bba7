package term

import "strings"

// titleTermPrefixes are the $TERM prefixes of terminals that take window
// titles. terminfo does not say so reliably, so mosh keeps this list
// (Display::Display in terminaldisplayinit.cc).
var titleTermPrefixes = [...]string{"xterm", "rxvt", "kterm", "Eterm", "alacritty", "screen", "tmux"}

// terminfoCaps returns the terminfo ech and bce capabilities of common
// terminals, as this Debian's ncurses terminfo database gives them
// (infocmp -1); ok is false for a name not listed.
func terminfoCaps(term string) (ech, bce, ok bool) {
	switch term {
	case "xterm", "xterm-16color", "xterm-88color", "xterm-256color", "xterm-direct", "rxvt-unicode", "rxvt-unicode-256color", "linux", "linux-16color", "alacritty", "alacritty-direct", "st", "st-256color", "konsole", "konsole-256color", "gnome", "gnome-256color", "vte", "vte-256color", "putty", "putty-256color", "mintty", "ms-terminal", "Eterm", "Eterm-256color", "Eterm-color":
		return true, true, true
	case "xterm-color", "screen", "screen-16color", "screen-256color", "screen.linux", "tmux", "tmux-256color", "tmux-direct", "kterm", "kterm-color", "vt100", "vt102", "dumb":
		return false, false, true
	case "screen.xterm-256color", "kitty", "ansi", "vt220", "vt320":
		return true, false, true
	case "rxvt", "rxvt-16color", "rxvt-88color", "rxvt-256color", "iTerm.app", "iTerm2.app", "Apple_Terminal":
		return false, true, true
	}
	return false, false, false
}

// termFamilies give a capability guess for names terminfoCaps lacks, by the
// longest matching prefix (xterm-foo behaves like xterm). Read only.
var termFamilies = [...]struct {
	prefix   string
	ech, bce bool
}{
	{"xterm", true, true}, {"screen", false, false}, {"tmux", false, false},
	{"rxvt-unicode", true, true}, {"rxvt", false, true}, {"linux", true, true},
	{"alacritty", true, true}, {"st-", true, true}, {"vte", true, true},
	{"gnome", true, true}, {"konsole", true, true}, {"putty", true, true}, {"Eterm", true, true},
}

// DisplayForTerm returns the Display a mosh client would use on a terminal
// of type term ($TERM), following mosh's rules: titles only for the
// terminal families mosh lists (the name starts with xterm, rxvt, kterm,
// Eterm, alacritty, screen or tmux), ECH and BCE as terminfo gives them.
//
// Simplification: instead of reading the terminfo database at run time
// (which mosh does through setupterm, and which the term package, doing no
// I/O, cannot), the ech and bce flags come from a list of common terminals
// taken from ncurses' terminfo, then from the family a name starts with.
// An unknown terminal gets neither, which is always safe: blanks are then
// drawn as spaces and lines cleared with EL only under the default
// rendition. (mosh refuses to start on a terminal terminfo does not know.)
func DisplayForTerm(term string) Display {
	d := Display{EraseBlanks: true}
	for _, p := range titleTermPrefixes {
		if strings.HasPrefix(term, p) {
			d.HasTitle = true
			break
		}
	}
	if ech, bce, ok := terminfoCaps(term); ok {
		d.HasECH, d.HasBCE = ech, bce
		d.HasDL = term != "vt100" && term != "dumb" // the listed names without terminfo's dl
		return d
	}
	best := -1
	for i, f := range termFamilies {
		if strings.HasPrefix(term, f.prefix) && (best < 0 || len(f.prefix) > len(termFamilies[best].prefix)) {
			best = i
		}
	}
	if best >= 0 {
		d.HasECH, d.HasBCE = termFamilies[best].ech, termFamilies[best].bce
		d.HasDL = true // every family listed has dl
	}
	return d
}

// Sequences of the user's terminal's alternate screen. mosh takes them from
// terminfo (smcup, rmcup); ESC [ ? 1049 h/l is what the common terminals'
// entries start with. (xterm's entries also save and restore the window
// title with CSI 22;0;0t and CSI 23;0;0t, which this does not do.)
const (
	enterAltScreen = "\x1b[?1049h"
	exitAltScreen  = "\x1b[?1049l"
)

// Open returns what a mosh client writes to the user's terminal before its
// first frame (Display::open): the alternate screen, unless noTermInit
// (MOSH_NO_TERM_INIT), then application cursor-key mode, in which the
// server expects arrows (see UserInput).
func (d Display) Open(noTermInit bool) []byte {
	out := make([]byte, 0, len(enterAltScreen)+5)
	if !noTermInit {
		out = append(out, enterAltScreen...)
	}
	return append(out, "\x1b[?1h"...)
}

// Close returns what a mosh client writes when it leaves (Display::close):
// normal cursor keys, default rendition, a visible cursor, every mouse mode
// and encoding off, then the normal screen unless noTermInit.
func (d Display) Close(noTermInit bool) []byte {
	const reset = "\x1b[?1l\x1b[0m\x1b[?25h" +
		"\x1b[?1003l\x1b[?1002l\x1b[?1001l\x1b[?1000l" +
		"\x1b[?1015l\x1b[?1006l\x1b[?1005l"
	out := make([]byte, 0, len(reset)+len(exitAltScreen))
	out = append(out, reset...)
	if !noTermInit {
		out = append(out, exitAltScreen...)
	}
	return out
}
