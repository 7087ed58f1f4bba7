package sshcfg

import (
	"fmt"
	"strings"
)

// SplitShellWords splits s into words the way a POSIX shell (and mosh's
// Text::ParseWords::shellwords) does for a simple command: blanks separate
// words, single quotes keep everything literally, double quotes keep blanks
// and honour backslash before \ " $ and `, and a backslash outside quotes
// escapes the next character. No expansion of any kind is done.
func SplitShellWords(s string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		i       int
		runes   = []rune(s)
		advance = func() rune { r := runes[i]; i++; return r }
	)
	for i < len(runes) {
		r := advance()
		switch {
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '\\':
			inWord = true
			if i < len(runes) {
				if n := advance(); n != '\n' {
					cur.WriteRune(n)
				}
			}
		case r == '\'':
			inWord = true
			closed := false
			for i < len(runes) {
				if n := advance(); n == '\'' {
					closed = true
					break
				} else {
					cur.WriteRune(n)
				}
			}
			if !closed {
				return nil, fmt.Errorf("unterminated single quote in %q", s)
			}
		case r == '"':
			inWord = true
			closed := false
			for i < len(runes) {
				n := advance()
				if n == '"' {
					closed = true
					break
				}
				if n == '\\' && i < len(runes) && strings.ContainsRune("\\\"$`\n", runes[i]) {
					if e := advance(); e != '\n' {
						cur.WriteRune(e)
					}
					continue
				}
				cur.WriteRune(n)
			}
			if !closed {
				return nil, fmt.Errorf("unterminated double quote in %q", s)
			}
		default:
			inWord = true
			cur.WriteRune(r)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// ShellQuote quotes s for a POSIX shell with single quotes, as mosh.pl does
// for every argument of the remote mosh-server command: a ' inside becomes
// '\” (close, escaped quote, reopen).
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
