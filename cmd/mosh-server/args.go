package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// options is mosh-server 1.4's command line (src/frontend/mosh-server.cc).
type options struct {
	help, version bool
	ip            string // bind address; "" = any
	ipGiven       bool
	sshIP         bool // -s: bind to the local address of $SSH_CONNECTION
	port          string
	portGiven     bool // -p '' is given and means port 0, as strtol reads it
	portLow       int
	portHigh      int
	colors        int
	verbose       int
	localeVars    []string
	command       []string // after --; empty = login shell
	warnings      []string // non-fatal complaints, whole lines for stderr, as mosh prints them
	badOption     bool     // getopt complained: mosh then prints the usage (and carries on)
	// scrollback is --scrollback=N (ours, not mosh's): history lines kept
	// for a client that offers the scrollback extension, when
	// scrollbackGiven (otherwise the default).
	scrollback      int
	scrollbackGiven bool
}

// parseArgs parses argv[1:] the way mosh-server does: a first pass finds
// --help/-h, --version and the mandatory "--" before a command; then, if the
// first word is "new", getopt("@:i:p:c:svl:") over the rest; otherwise the
// legacy forms `mosh-server [IP [PORT]]`. Unknown options are reported but
// not fatal, as in mosh.
func parseArgs(args []string, sshConnection string) (*options, error) {
	o := &options{}
	for i, a := range args {
		if a == "--help" || a == "-h" {
			o.help = true
			return o, nil
		}
		if a == "--version" {
			o.version = true
			return o, nil
		}
		if a == "--" {
			o.command = append([]string(nil), args[i+1:]...)
			args = args[:i]
			break
		}
	}
	switch {
	case len(args) >= 1 && args[0] == "new":
		if err := o.getopt(args[1:], sshConnection); err != nil {
			return nil, err
		}
	case len(args) == 0:
	case len(args) == 1:
		o.ip, o.ipGiven = args[0], true
	case len(args) == 2:
		o.ip, o.ipGiven = args[0], true
		o.port, o.portGiven = args[1], true
	default:
		return nil, fmt.Errorf("too many arguments")
	}
	o.portLow, o.portHigh = 60001, 60999
	if o.portGiven {
		lo, hi, detail := parsePortRange(o.port)
		if detail != "" {
			return nil, &portRangeError{spec: o.port, detail: detail}
		}
		o.portLow, o.portHigh = lo, hi
	}
	return o, nil
}

// getopt implements the subset of POSIX getopt that mosh-server relies on:
// clustered flags (-sv), attached or separate arguments (-p60001, -p 60001),
// and stopping at the first non-option word (GNU getopt would permute, but
// mosh's callers never put options after operands).
func (o *options) getopt(args []string, sshConnection string) error {
	const withArg = "@ipcl"
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			continue // operands are ignored by mosh-server new
		}
		if v, ok := strings.CutPrefix(a, "--scrollback="); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("bad --scrollback value %q: give a number of lines, 0 for none", v)
			}
			o.scrollback, o.scrollbackGiven = n, true
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			var val string
			if strings.IndexByte(withArg, c) >= 0 {
				if j+1 < len(a) {
					val = a[j+1:]
				} else if i+1 < len(args) {
					i++
					val = args[i]
				} else {
					// getopt names its argv[0], which is "new" here.
					o.warnings = append(o.warnings, fmt.Sprintf("new: option requires an argument -- '%c'", c))
					o.badOption = true
					break
				}
				j = len(a)
			}
			switch c {
			case '@':
			case 'i':
				o.ip, o.ipGiven, o.sshIP = val, true, false
			case 'p':
				o.port, o.portGiven = val, true
			case 's':
				o.ip, o.ipGiven, o.sshIP = sshBindIP(sshConnection, &o.warnings), false, true
			case 'c':
				n, err := strconv.Atoi(val)
				if err != nil {
					//lint:ignore ST1005 mosh-server's own message
					return fmt.Errorf("Bad number of colors (%s)", val)
				}
				o.colors = n
			case 'v':
				o.verbose++
			case 'l':
				o.localeVars = append(o.localeVars, val)
			default:
				o.warnings = append(o.warnings, fmt.Sprintf("new: invalid option -- '%c'", c))
				o.badOption = true
			}
		}
	}
	return nil
}

// sshBindIP returns the server-side address of $SSH_CONNECTION (its third
// word), without an IPv4-mapped prefix, or "" (any) with a warning.
func sshBindIP(sshConnection string, warnings *[]string) string {
	if sshConnection == "" {
		*warnings = append(*warnings, "Warning: SSH_CONNECTION not found; binding to any interface.")
		return ""
	}
	f := strings.Fields(sshConnection)
	if len(f) < 3 {
		*warnings = append(*warnings, "Warning: Could not parse SSH_CONNECTION; binding to any interface.")
		return ""
	}
	ip := f[2]
	if len(ip) > 7 && strings.EqualFold(ip[:7], "::ffff:") {
		ip = ip[7:]
	}
	return ip
}

// portRangeError is a bad -p value. Like mosh-server, we print the parser's
// explanation on its own line before "Bad UDP port range (…)".
type portRangeError struct {
	spec   string // the -p argument
	detail string // mosh's wording of what is wrong with it
}

func (e *portRangeError) Error() string { return fmt.Sprintf("Bad UDP port range (%s)", e.spec) }

// parsePortRange parses PORT or LOW:HIGH as mosh's
// Connection::parse_portrange, which reads numbers with strtol: so leading
// blanks and a sign are accepted, an empty number is 0 (`-p ”` asks for any
// port) and `-p 5:` means 5:0. A bad value gets mosh's explanation in
// detail (a line for stderr, not an error: it is mosh's capitalised text).
func parsePortRange(s string) (lo, hi int, detail string) {
	v, rest, overflow := strtol(s)
	if overflow || (rest != "" && rest[0] != ':') {
		return 0, 0, fmt.Sprintf("Invalid (low) port number (%s)", s)
	}
	if v < 0 || v > 65535 {
		return 0, 0, fmt.Sprintf("(Low) port number %d outside valid range [0..65535]", v)
	}
	lo = int(v)
	if rest == "" {
		return lo, lo, ""
	}
	cp := rest[1:]
	v, rest, overflow = strtol(cp)
	if overflow || rest != "" {
		return 0, 0, fmt.Sprintf("Invalid high port number (%s)", cp)
	}
	if v < 0 || v > 65535 {
		return 0, 0, fmt.Sprintf("High port number %d outside valid range [0..65535]", v)
	}
	hi = int(v)
	if lo > hi {
		return 0, 0, fmt.Sprintf("Low port %d greater than high port %d", lo, hi)
	}
	if lo == 0 {
		return 0, 0, "Low port 0 incompatible with port ranges"
	}
	return lo, hi, ""
}

// strtol reads a decimal number as C's strtol(s, &end, 10): leading white
// space, an optional sign, digits. It returns the value, the unread rest
// (all of s when there are no digits, the value then being 0) and whether
// the value overflowed a 64-bit long (errno ERANGE).
func strtol(s string) (v int64, rest string, overflow bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		d := uint64(s[i] - '0')
		if u > (math.MaxInt64-d)/10 {
			overflow = true
		} else {
			u = u*10 + d
		}
		i++
	}
	if i == start {
		return 0, s, false
	}
	v = int64(u)
	if neg {
		v = -v
	}
	return v, s[i:], overflow
}
