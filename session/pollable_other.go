//go:build !linux

package session

import "os"

// pollableTerminal is nil here: whether kqueue wakes for a terminal differs
// between the BSDs and macOS versions, so input is read with poll(2).
func pollableTerminal(*os.File) *os.File { return nil }
