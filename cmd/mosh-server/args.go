package main

import (
	"fmt"
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
	portLow       int
	portHigh      int
	colors        int
	verbose       int
	localeVars    []string
	command       []string // after --; empty = login shell
	warnings      []string // non-fatal complaints to print on stderr, as mosh does
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
		o.port = args[1]
	default:
		return nil, fmt.Errorf("too many arguments")
	}
	o.portLow, o.portHigh = 60001, 60999
	if o.port != "" {
		lo, hi, err := parsePortRange(o.port)
		if err != nil {
			//lint:ignore ST1005 mosh-server's own message, which scripts may match
			return nil, fmt.Errorf("Bad UDP port range (%s)", o.port)
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
					o.warnings = append(o.warnings, fmt.Sprintf("option requires an argument -- '%c'", c))
					break
				}
				j = len(a)
			}
			switch c {
			case '@':
			case 'i':
				o.ip, o.ipGiven, o.sshIP = val, true, false
			case 'p':
				o.port = val
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
				o.warnings = append(o.warnings, fmt.Sprintf("invalid option -- '%c'", c))
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

// parsePortRange parses PORT or LOW:HIGH as mosh's Connection::parse_portrange.
func parsePortRange(s string) (lo, hi int, err error) {
	one := func(p string) (int, error) {
		if p == "" {
			return 0, fmt.Errorf("empty port")
		}
		for _, r := range p {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("bad port %q", p)
			}
		}
		n, err := strconv.Atoi(p)
		if err != nil || n > 65535 {
			return 0, fmt.Errorf("bad port %q", p)
		}
		return n, nil
	}
	a, b, isRange := strings.Cut(s, ":")
	if lo, err = one(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = one(b); err != nil {
		return 0, 0, err
	}
	if lo > hi || lo == 0 {
		return 0, 0, fmt.Errorf("bad port range %q", s)
	}
	return lo, hi, nil
}
