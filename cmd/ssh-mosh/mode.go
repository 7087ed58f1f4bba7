package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// Mode is what ssh-mosh does with a command line.
type Mode int

const (
	// ModeSession: an interactive login (or a remote command with -t) that runs
	// as a roaming mosh session.
	ModeSession Mode = iota
	// ModePassthrough: anything else, handed to OpenSSH's ssh unchanged so that
	// scripts, forwarding and tools behave exactly as with ssh.
	ModePassthrough
)

func (m Mode) String() string {
	if m == ModeSession {
		return "session"
	}
	return "passthrough"
}

// sessionFlags are the ssh flags a mosh session honours (or may ignore
// without changing what the user gets): address family, identity, config,
// jump, login, port, options, quiet, tty, verbosity, the log file (-E),
// flags that only disable something, and the forwards the session carries
// beside it (-A -D -L -R -g, package forward).
const sessionFlags = "46aACDEeFgiJklLopqRStvx"

// nonInteractiveOptions are -o keywords (lower case) that ask for more than
// an interactive login; ssh must do them. The value "" means any value,
// otherwise only the listed values trigger passthrough.
var nonInteractiveOptions = map[string][]string{
	"sessiontype":             {"none", "subsystem"},
	"requesttty":              {"no"},
	"stdinnull":               {"yes"},
	"forkafterauthentication": {"yes"},
	"forwardx11":              {"yes"},
	"forwardx11trusted":       {"yes"},
	"tunnel":                  {"yes", "point-to-point", "ethernet"},
	"controlmaster":           {"yes", "ask", "auto", "autoask"},
	"permitlocalcommand":      {"yes"},
	"localcommand":            nil,
}

// Decide chooses between a mosh session and OpenSSH passthrough from the
// flags, the positional arguments (destination and remote command) and
// whether stdin and stdout are terminals. The string says why, for -v logs.
func Decide(o *Options, args []string, stdinTTY, stdoutTTY bool) (Mode, string) {
	for _, c := range []byte(o.SeenFlags()) {
		if strings.IndexByte(sessionFlags, c) < 0 {
			return ModePassthrough, fmt.Sprintf("flag -%c is handled by OpenSSH ssh", c)
		}
	}
	for _, kv := range o.ConfigOptions {
		key, val := sshcfg.SplitOption(kv)
		vals, ok := nonInteractiveOptions[key]
		if !ok {
			continue
		}
		val = strings.ToLower(val)
		switch {
		case vals == nil || contains(vals, val):
			return ModePassthrough, fmt.Sprintf("option %s=%s is handled by OpenSSH ssh", key, val)
		}
	}
	if len(args) == 0 || args[0] == "" || strings.HasPrefix(args[0], "-") {
		return ModePassthrough, "no destination given"
	}
	if len(args) > 1 && o.TTY == 0 {
		return ModePassthrough, "remote command without -t"
	}
	if !stdinTTY || !stdoutTTY {
		return ModePassthrough, "stdin or stdout is not a terminal"
	}
	return ModeSession, "interactive login"
}

// DecideConfig completes Decide with what the resolved configuration asks
// for. command says the command line names a remote command, tty counts
// its -t flags. A RemoteCommand with a terminal (RequestTTY yes or force,
// or -t: `RemoteCommand tmux new -A -s main`) runs in the roaming session,
// as `ssh-mosh -t host cmd` does; without one it is not a login and goes
// to ssh, as does one beside a command-line command (ssh refuses both).
func DecideConfig(c *sshcfg.Config, command bool, tty int) (Mode, string) {
	switch {
	case c.RemoteCommand != "" && command:
		return ModePassthrough, "RemoteCommand is set for " + c.Host + " and a command is given"
	case c.RemoteCommand != "" && c.RequestTTY != "yes" && c.RequestTTY != "force" && tty == 0:
		return ModePassthrough, "RemoteCommand is set for " + c.Host + " without RequestTTY yes or -t"
	case c.SessionType != "" && c.SessionType != "default":
		return ModePassthrough, "SessionType " + c.SessionType + " is set for " + c.Host
	case c.RequestTTY == "no":
		return ModePassthrough, "RequestTTY no is set for " + c.Host
	case c.ForkAfterAuthentication:
		return ModePassthrough, "ForkAfterAuthentication is set for " + c.Host
	case c.KnownHostsCommand != "":
		// Host keys are a security decision: never skip the command.
		return ModePassthrough, "KnownHostsCommand is set for " + c.Host
	case len(c.NeedsOpenSSH) > 0:
		return ModePassthrough, strings.Join(c.NeedsOpenSSH, ", ") + " is set for " + c.Host
	}
	if c.RemoteCommand != "" {
		return ModeSession, "RemoteCommand on a terminal"
	}
	return ModeSession, "interactive login"
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// moshLongOptions are ssh-mosh's own long options; OpenSSH would reject
// them, so PassthroughArgv drops them. The bool says whether the option takes
// a value that may be the next argument.
var moshLongOptions = map[string]bool{
	"ssh": true, "server": true, "predict": true, "predict-overwrite": false, "port": true,
	"family": true, "no-init": false, "no-fallback": false, "transport": true, "local": false,
	"delay": true, "loss": true, "connect": true, "verbose": false, "log": true,
}

// PassthroughArgv turns ssh-mosh's argv (argv[0] included) into the argv for
// OpenSSH: realSSH first, the flags of --ssh next, then the original
// arguments with ssh-mosh's own long options removed (--verbose becomes -v),
// before and after the destination, as far as ssh reads options. The
// destination and everything from the remote command on are kept byte for
// byte.
func PassthroughArgv(realSSH string, argv []string) ([]string, error) {
	out := []string{realSSH}
	var rest []string
	args := argv[1:]
	seenDest := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			// The end of options: with no destination yet, the next word
			// is the destination and the rest is the command, as is.
			rest = append(rest, args[i:]...)
			i = len(args)
		case a == "-" || !strings.HasPrefix(a, "-"):
			if seenDest {
				// The remote command: everything from here on.
				rest = append(rest, args[i:]...)
				i = len(args)
				continue
			}
			// The destination; ssh reads options again after it.
			seenDest = true
			rest = append(rest, a)
		case !strings.HasPrefix(a, "--"):
			// A cluster of short ssh flags; the last flag that takes a
			// value consumes the rest of the word or the next argument.
			// -o with one of ssh-mosh's own keywords is dropped: OpenSSH
			// would refuse it.
			j := 1
			for j < len(a) && strings.IndexByte(sshArgFlags, a[j]) < 0 {
				j++
			}
			if j == len(a) {
				rest = append(rest, a)
				continue
			}
			val, separate := a[j+1:], false
			if val == "" && i+1 < len(args) {
				i++
				val, separate = args[i], true
			}
			if key, _ := sshcfg.SplitOption(val); a[j] == 'o' && sshcfg.IsMoshKeyword(key) {
				if j > 1 {
					rest = append(rest, a[:j])
				}
				continue
			}
			rest = append(rest, a)
			if separate {
				rest = append(rest, val)
			}
		default:
			name, val, hasVal := strings.Cut(a[2:], "=")
			takesVal, ours := moshLongOptions[name]
			if !ours {
				rest = append(rest, a)
				continue
			}
			if takesVal && !hasVal && i+1 < len(args) {
				i++
				val = args[i]
			}
			switch name {
			case "ssh":
				words, err := sshcfg.SplitShellWords(val)
				if err != nil {
					return nil, err
				}
				if len(words) > 1 {
					out = append(out, words[1:]...)
				}
			case "verbose":
				rest = append(rest, "-v")
			case "log":
				rest = append(rest, "-E", val)
			}
		}
	}
	// The flags of --ssh go first, as if typed at the start.
	return append(out, rest...), nil
}

// Passthrough replaces this process with OpenSSH's ssh, given ssh-mosh's
// original argv. It returns only on failure; ErrNoOpenSSH means the caller
// should fall back to RunCommand.
func Passthrough(argv []string) error {
	self, err := os.Executable()
	if err != nil {
		self = argv[0]
	}
	realSSH, err := sshcfg.FindRealSSH(self)
	if err != nil {
		return err
	}
	full, err := PassthroughArgv(realSSH, argv)
	if err != nil {
		return err
	}
	if err := syscall.Exec(realSSH, full, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", realSSH, err)
	}
	return nil
}
