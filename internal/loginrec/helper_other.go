//go:build !linux && !freebsd

package loginrec

// macOS and the rest have no unprivileged way into utmpx: mosh built there
// has no libutempter either, and records nothing.
var helperPaths []string

var helperKind Helper
