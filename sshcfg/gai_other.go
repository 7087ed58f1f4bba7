//go:build !linux && !darwin && !freebsd

package sshcfg

// What gai_strerror says on most systems, which ssh prints after "Could
// not resolve hostname H: " (see gai_linux.go).
const (
	gaiNoName = "Name or service not known"
	gaiAgain  = "Temporary failure in name resolution"
)
