package loginrec

import (
	"os"
	"path/filepath"
)

// Helper is the host's utmp helper: the program and the arguments that add
// and remove the entry of the terminal whose pty master is the helper's
// standard input (libutempter's and FreeBSD's libulog's convention).
type Helper struct {
	Path string
	// Add and Del are the arguments after the program's name.
	Add func(host string) []string
	Del []string
}

// FindHelper returns the host's utmp helper, or false when it has none
// (nothing is recorded in utmp then).
func FindHelper() (Helper, bool) {
	for _, pattern := range helperPaths {
		matches, _ := filepath.Glob(pattern)
		for _, p := range matches {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				h := helperKind
				h.Path = p
				return h, true
			}
		}
	}
	return Helper{}, false
}
