// Package termcolors owns the local terminal's colour count: the number
// mosh-client -c prints and ssh-mosh passes to the server's -c, from which
// the server picks the session's TERM (xterm-256color for 256, else xterm).
// As in mosh, the count is the terminfo entry's "colors" for TERM, found
// where ncurses' setupterm looks; a terminal the database does not know is
// judged by its name, where mosh's setupterm would give up.
package termcolors

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xo/terminfo"
)

// systemDirs are the terminfo directories searched after $TERMINFO,
// ~/.terminfo and $TERMINFO_DIRS: Debian's and most Linux systems' (etc,
// lib, share), macOS's and FreeBSD's (/usr/share/terminfo), and the ones
// of ncurses from Homebrew and FreeBSD ports, whose entries the system's
// may lack (tmux-256color on macOS).
var systemDirs = []string{
	"/etc/terminfo",
	"/lib/terminfo",
	"/usr/share/terminfo",
	"/usr/lib/terminfo",
	"/usr/local/share/terminfo",
	"/opt/homebrew/share/terminfo",
	"/usr/local/opt/ncurses/share/terminfo",
}

// maxEntry bounds what is read of a terminfo file; compiled entries are a
// few kilobytes (ncurses' limit is 32 KiB), and the file may be anything.
const maxEntry = 64 << 10

// Count is the colour count of the terminal named by TERM in env: 0 when
// TERM is empty or "dumb" or the entry has no colours; otherwise the
// entry's "colors", raised to 256 when COLORTERM says the terminal does
// direct colour (a terminal that takes 24-bit colour takes 256), and at
// most 256: the server knows no TERM richer than xterm-256color, and
// mosh-server's choice is by equality with 256, so a direct-colour entry's
// 16777216 would otherwise give the session plain xterm.
func Count(getenv func(string) string) int {
	name := getenv("TERM")
	n, ok := fromTerminfo(name, getenv)
	if !ok {
		n = byName(name)
	}
	if n > 0 || name != "" && name != "dumb" {
		switch getenv("COLORTERM") {
		case "truecolor", "24bit":
			n = max(n, 256)
		}
	}
	return min(n, 256)
}

// byName guesses the colour count of a terminal missing from the database
// from the conventions of terminfo's names.
func byName(name string) int {
	switch {
	case name == "" || name == "dumb":
		return 0
	case strings.HasSuffix(name, "256color"), strings.HasSuffix(name, "-direct"),
		strings.HasSuffix(name, "-truecolor"):
		return 256
	case strings.HasSuffix(name, "-88color"):
		return 88
	case strings.HasSuffix(name, "-16color"):
		return 16
	case strings.HasSuffix(name, "-mono"):
		return 0
	}
	return 8
}

// fromTerminfo reads name's entry as setupterm finds it: $TERMINFO, then
// ~/.terminfo, then $TERMINFO_DIRS (an empty element is the system's
// directories), then the system's. ok is false when no directory has a
// readable entry.
func fromTerminfo(name string, getenv func(string) string) (colors int, ok bool) {
	if !validName(name) {
		return 0, false
	}
	var dirs []string
	if d := getenv("TERMINFO"); d != "" {
		dirs = append(dirs, d)
	}
	if h := getenv("HOME"); h != "" {
		dirs = append(dirs, filepath.Join(h, ".terminfo"))
	}
	if list := getenv("TERMINFO_DIRS"); list != "" {
		for _, d := range strings.Split(list, ":") {
			if d == "" {
				dirs = append(dirs, systemDirs...)
			} else {
				dirs = append(dirs, d)
			}
		}
	}
	dirs = append(dirs, systemDirs...)
	for _, dir := range dirs {
		buf, err := readEntry(dir, name)
		if err != nil {
			continue
		}
		if n, err := Decode(buf); err == nil {
			return n, true
		}
	}
	return 0, false
}

// validName refuses the names ncurses refuses: empty, "." and "..", and any
// with a slash, which would reach outside the database.
func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

// readEntry reads name's compiled entry in dir, under the first letter
// (Linux, FreeBSD) or its hexadecimal code (macOS).
func readEntry(dir, name string) ([]byte, error) {
	for _, sub := range []string{name[:1], strconv.FormatUint(uint64(name[0]), 16)} {
		f, err := os.Open(filepath.Join(dir, sub, name))
		if err != nil {
			continue
		}
		buf, err := io.ReadAll(io.LimitReader(f, maxEntry))
		_ = f.Close()
		if err != nil {
			continue
		}
		return buf, nil
	}
	return nil, fs.ErrNotExist
}

// Decode is the colour count of a compiled terminfo entry: its "colors",
// or 0 when it has none (a monochrome terminal). It reads the legacy
// format and ncurses 6.1's 32-bit one.
func Decode(entry []byte) (int, error) {
	ti, err := terminfo.Decode(entry)
	if err != nil {
		return 0, errors.New("not a compiled terminfo entry: " + err.Error())
	}
	n, ok := ti.Nums[terminfo.MaxColors]
	if !ok || n < 0 {
		return 0, nil
	}
	return n, nil
}
