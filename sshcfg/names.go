package sshcfg

import (
	"errors"
	"strings"
)

// Names from the command line reach shells: ProxyCommand's %h, %r and %n are
// pasted into `sh -c`, and so is LocalCommand in OpenSSH. Like OpenSSH since
// the fix for CVE-2023-51385, refuse names that carry shell syntax before any
// token is expanded. The messages are OpenSSH's.
var (
	ErrInvalidHostname = errors.New("hostname contains invalid characters")
	ErrInvalidUser     = errors.New("remote username contains invalid characters")
)

// validHostname is OpenSSH's valid_hostname: no leading '-', no shell
// metacharacter, white space or control character.
func validHostname(s string) bool {
	if strings.HasPrefix(s, "-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte("'`\"$\\;&<>|(){}", c) >= 0 || isCSpace(c) || isCCntrl(c) {
			return false
		}
	}
	return true
}

// validRemoteUser is OpenSSH's valid_ruser: user names may hold spaces and
// '$' (some directories have such users), but no quote, command separator or
// control character, no option-looking word and no trailing backslash.
func validRemoteUser(s string) bool {
	if strings.HasPrefix(s, "-") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isCCntrl(c), strings.IndexByte("'`\";&<>|(){}", c) >= 0:
			return false
		case isCSpace(c) && i+1 < len(s) && s[i+1] == '-':
			return false
		case c == '\\' && i+1 == len(s):
			return false
		}
	}
	return true
}

// isCSpace and isCCntrl are C's isspace and iscntrl in the C locale.
func isCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
func isCCntrl(c byte) bool { return c < ' ' || c == 0x7f }

// checkCommandLineNames validates the names a user typed: the destination's
// host and user, -l and -o User.
func checkCommandLineNames(cl *CommandLine, dest destination) error {
	if !validHostname(dest.host) {
		return ErrInvalidHostname
	}
	users := []string{dest.user, cl.last('l')}
	for _, kv := range cl.options() {
		if key, val := SplitOption(kv); key == "user" {
			users = append(users, val)
		}
	}
	for _, u := range users {
		if u != "" && !validRemoteUser(u) {
			return ErrInvalidUser
		}
	}
	return nil
}
