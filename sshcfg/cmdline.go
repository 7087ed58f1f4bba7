package sshcfg

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ssh-mosh/ssh-mosh/internal/sshescape"
)

// ResolutionFlags are the ssh flags whose values take part in config
// resolution: -o -p -l -J -i -F -4 -6 override the configuration in
// command-line order, -c and -m replace the algorithm lists, -q and -v set
// the log level, -e the escape character. The other ssh flags are the
// command line's business.
const ResolutionFlags = "oplJiF46cmqveS"

// CommandLine is what resolution takes from the command line: the flags of
// ResolutionFlags in the order given, and where the destination stood among
// them (ssh keeps the first user and port it reads, so `-l a b@h` logs in as
// a but `b@h -l a` as b). The zero value is an empty command line.
type CommandLine struct {
	flags   []flagArg
	destAt  int  // index in flags where the destination stood
	destSet bool // MarkDestination was called
}

// flagArg is one command-line flag that takes part in config resolution.
type flagArg struct {
	letter byte
	value  string
}

// Add records one ssh flag; value is ignored for flags without one (-4, -6,
// -q, -v). Flags outside ResolutionFlags are ignored, so a command-line
// parser may hand every ssh flag here. It refuses a -p that ssh's a2port
// would refuse.
func (c *CommandLine) Add(letter byte, value string) error {
	if strings.IndexByte(ResolutionFlags, letter) < 0 {
		return nil
	}
	if letter == 'p' {
		if _, err := parsePort(value); err != nil {
			//lint:ignore ST1005 ssh's words, which users of ssh know
			return fmt.Errorf("Bad port '%s'", value)
		}
	}
	if letter == 'e' {
		if _, err := sshescape.ParseChar(value); err != nil {
			//lint:ignore ST1005 ssh's words, which users of ssh know
			return fmt.Errorf("Bad escape character '%s'.", value)
		}
	}
	c.flags = append(c.flags, flagArg{letter, value})
	return nil
}

// MarkDestination records that the destination stands here: the flags
// added from now on came after it.
func (c *CommandLine) MarkDestination() {
	c.destAt, c.destSet = len(c.flags), true
}

// beforeDest and afterDest split the flags where the destination stood.
func (c *CommandLine) beforeDest() []flagArg {
	if !c.destSet {
		return c.flags
	}
	return c.flags[:c.destAt]
}

func (c *CommandLine) afterDest() []flagArg {
	if !c.destSet {
		return nil
	}
	return c.flags[c.destAt:]
}

// last returns the value of the last use of letter ("" if none): -F, -l, -c
// and -m keep the last value given, as in ssh.
func (c *CommandLine) last(letter byte) string {
	for i := len(c.flags) - 1; i >= 0; i-- {
		if c.flags[i].letter == letter {
			return c.flags[i].value
		}
	}
	return ""
}

// count returns how many times letter was given.
func (c *CommandLine) count(letter byte) int {
	n := 0
	for _, f := range c.flags {
		if f.letter == letter {
			n++
		}
	}
	return n
}

// options returns the -o values in order.
func (c *CommandLine) options() []string {
	var out []string
	for _, f := range c.flags {
		if f.letter == 'o' {
			out = append(out, f.value)
		}
	}
	return out
}

// parsePort accepts what ssh's a2port accepts: 1..65535 in decimal.
func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p <= 0 || p > 65535 {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return p, nil
}

// SplitOption splits an -o argument "Key=Value" or "Key Value" and
// lowercases the key, as ssh's option parser does.
func SplitOption(kv string) (key, val string) {
	kv = strings.TrimLeft(kv, " \t")
	i := strings.IndexAny(kv, " \t=")
	if i < 0 {
		return strings.ToLower(kv), ""
	}
	key = strings.ToLower(kv[:i])
	val = strings.TrimLeft(kv[i:], " \t")
	val = strings.TrimPrefix(val, "=")
	return key, strings.TrimSpace(val)
}
