//go:build !linux

package session

import "os"

// pollableTerminal is nil here: whether kqueue wakes for a terminal differs
// between the BSDs and macOS versions, so input is read with poll(2) and
// output written as it is.
func pollableTerminal(*os.File, int) *os.File { return nil }
