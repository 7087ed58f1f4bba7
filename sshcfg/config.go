package sshcfg

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/vis"
)

// Config is the resolved configuration for one destination, as OpenSSH's ssh
// would use it. File names are fully expanded (~, ${ENV}, % tokens).
type Config struct {
	Host     string // the destination as typed (%n), without user@
	HostName string // where to connect (after HostName and its %h)
	Port     int
	User     string

	IdentityFiles    []string
	IdentitiesOnly   bool
	IdentityAgent    string // "" = SSH_AUTH_SOCK; "none" disables the agent
	CertificateFiles []string

	// ProxyJump is the jump list as configured (user@host:port,...);
	// Via is the resolved configuration of the last hop, through which
	// this host is reached (Via may itself have a Via), resolved as ssh
	// does: the last hop with the earlier hops as its own -J.
	ProxyJump    []JumpHost
	Via          *Config
	ProxyCommand string // tokens expanded; "" when none

	// ControlPath is the control socket of a connection-sharing master
	// (ControlMaster) to reuse, tokens expanded; "" for none. A login
	// asks a master listening there for its session, as ssh does.
	ControlPath string

	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	StrictHostKeyChecking string // yes | accept-new | no | ask
	HashKnownHosts        bool
	HostKeyAlias          string
	CheckHostIP           bool
	RevokedHostKeys       string // file of revoked keys or a KRL; "" when none
	KnownHostsCommand     string // as configured; DecideConfig hands such hosts to ssh

	// LogLevel is ssh's (QUIET, FATAL, ERROR, INFO, VERBOSE, DEBUG…),
	// upper case; -q makes it QUIET. Messages about the login are shown
	// at the level OpenSSH shows them.
	LogLevel string

	ConnectTimeout           time.Duration // 0: none
	AddressFamily            string        // any | inet | inet6
	BatchMode                bool
	PasswordAuthentication   bool
	KbdInteractiveAuth       bool
	PubkeyAuthentication     bool
	PreferredAuthentications []string
	NumberOfPasswordPrompts  int
	ServerAliveInterval      time.Duration
	ServerAliveCountMax      int
	SendEnv                  []string // patterns; "-pattern" entries already applied
	SetEnv                   []string // NAME=VALUE
	// EscapeChar is ssh's escape character (-e, EscapeChar; default '~'),
	// recognized at the start of a line in the session: a byte, or
	// sshescape.None.
	EscapeChar int

	Algorithms     AlgorithmLists // Ciphers, MACs, KexAlgorithms, ... (algorithms.go)
	AddKeysToAgent AddKeysToAgent // (keyfile.go)

	// What else the config asks for; DecideConfig hands such hosts to ssh.
	RemoteCommand           string
	RequestTTY              string // auto | no | yes | force
	SessionType             string // default | none | subsystem
	LocalForwards           []string
	RemoteForwards          []string
	DynamicForwards         []string
	ForkAfterAuthentication bool
	ForwardAgent            string // "no", "yes", or an agent socket path
	// GatewayPorts, ExitOnForwardFailure and ClearAllForwardings are
	// OpenSSH's, for the forwards a roaming session carries (package
	// forward).
	GatewayPorts         bool
	ExitOnForwardFailure bool
	ClearAllForwardings  bool
	// NeedsOpenSSH lists settings this package cannot honour in a roaming
	// session ("ForwardX11 yes", ...): DecideConfig hands such logins to
	// OpenSSH rather than drop them silently.
	NeedsOpenSSH []string
	// RequiredRSASize is the smallest RSA key accepted, host or user.
	RequiredRSASize int

	// ssh-mosh's own keywords (set in ssh_config next to
	// `IgnoreUnknown Mosh*`, or with -o): "" when not set.
	MoshTransport string // auto | udp | ssh
	MoshFallback  string // yes | no
	MoshServer    string // mosh-server path or command on this host

	// Family is mosh's --family, from the command line ("" when not
	// given): which of HostName's addresses the connection tries, in which
	// order (family.go). The roaming session's UDP goes to the address the
	// SSH connection reached and mosh-server binds the address sshd was
	// reached at (mosh-server new -s), so it chooses the family of both.
	// inet and inet6 override AddressFamily, as -4 and -6 do.
	Family string

	// Source says how the configuration was read: "native" (this
	// package) or "ssh -G" (OpenSSH asked, for Match and what else this
	// package does not evaluate itself).
	Source string

	// Warnings are what ssh prints while it reads its command line, in
	// its words: an -i file it cannot read, which it then leaves out. A
	// caller that logs in itself shows them; one that hands the login to
	// ssh does not, since ssh prints them.
	Warnings []string
}

// JumpHost is one element of a ProxyJump list.
type JumpHost struct {
	User string
	Host string
	Port int // 0: not given
}

func (j JumpHost) String() string {
	s := j.Host
	if j.User != "" {
		s = j.User + "@" + s
	}
	if j.Port != 0 {
		s += ":" + strconv.Itoa(j.Port)
	}
	return s
}

// Logs reports whether ssh, at c's LogLevel, shows messages of level
// ("ERROR", "INFO", …): "Connection to host closed." is an INFO one.
func (c *Config) Logs(level string) bool { return logLevelAtLeast(c.LogLevel, level) }

// Chain returns the hops from the first jump host to c itself.
func (c *Config) Chain() []*Config {
	var chain []*Config
	for h := c; h != nil; h = h.Via {
		chain = append([]*Config{h}, chain...)
	}
	return chain
}

// Addr is HostName:Port for net.Dial.
func (c *Config) Addr() string { return joinHostPort(c.HostName, c.Port) }

// Resolver resolves destinations. The zero value resolves as OpenSSH would
// for the current user; tests set fields to isolate themselves.
type Resolver struct {
	// Home is used for ~ and %d. Default: the user database entry, as
	// OpenSSH does ($HOME is ignored by ssh, so by us too).
	Home string
	// LocalUser (%u, default User) and UID (%i). Default: current user.
	LocalUser string
	UID       int
	// LocalHostname is %l. Default: os.Hostname.
	LocalHostname string
	// SystemConfig is read after the user's config when no -F is given.
	// Default /etc/ssh/ssh_config.
	SystemConfig string
	// SSH is OpenSSH's ssh, run as `ssh -G` for configurations this
	// package does not evaluate itself. "" looks it up on PATH (never
	// ssh-mosh itself); "none" never runs it.
	SSH string
	// ForceSSHG resolves every destination with ssh -G (tests, or the
	// user's choice of exactness over a few milliseconds).
	ForceSSHG bool
	// Getenv reads the environment for ${VAR}; default os.LookupEnv.
	Getenv func(string) (string, bool)
	// Files holds the config files; nil means the operating system's.
	Files ConfigFiles
}

// ErrNeedsOpenSSH marks a configuration this package cannot evaluate alone
// (Match, an unknown keyword or token) while no OpenSSH ssh is installed.
var ErrNeedsOpenSSH = errors.New("configuration needs OpenSSH's ssh to evaluate")

// Resolve resolves destination ([user@]host or ssh://[user@]host[:port])
// with the options given on the command line, as the current user.
func Resolve(cl *CommandLine, destination string) (*Config, error) {
	var r Resolver
	return r.Resolve(cl, destination)
}

// maxJumpDepth bounds ProxyJump recursion: a config where a hop jumps
// through itself would otherwise recurse forever.
const maxJumpDepth = 16

// Resolve resolves destination with the command line cl (nil: none).
func (r *Resolver) Resolve(cl *CommandLine, destination string) (*Config, error) {
	if cl == nil {
		cl = &CommandLine{}
	}
	rr, err := r.withDefaults()
	if err != nil {
		return nil, err
	}
	c, err := rr.resolve(cl, destination, 0)
	if err != nil {
		return nil, err
	}
	c.Warnings = rr.identityWarnings(cl)
	return c, nil
}

// identityWarnings is ssh's warning for each -i file it cannot stat
// (ssh.c: "Warning: Identity file %s not accessible: %s."), with the name
// after ~ expansion and the error in strerror's words.
func (r *Resolver) identityWarnings(cl *CommandLine) []string {
	var out []string
	for _, f := range cl.flags {
		if f.letter != 'i' {
			continue
		}
		if p, err := r.identityFile(f.value); err != nil {
			out = append(out, fmt.Sprintf("Warning: Identity file %s not accessible: %s.", p, vis.Strerror(err)))
		}
	}
	return out
}

// identityFile is an -i argument as ssh takes it: the name after ~
// expansion, and why it cannot be used (nil when it can). The key is read
// from the file system later (not through ConfigFiles, which holds
// configuration), so that is where it is looked for.
func (r *Resolver) identityFile(arg string) (string, error) {
	p := expandTilde(arg, r.Home)
	_, err := os.Stat(p)
	return p, err
}

func (r *Resolver) withDefaults() (*Resolver, error) {
	rr := *r
	if rr.Home == "" || rr.LocalUser == "" {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("cannot look up the current user: %w", err)
		}
		if rr.Home == "" {
			rr.Home = u.HomeDir
		}
		if rr.LocalUser == "" {
			rr.LocalUser = u.Username
			rr.UID, _ = strconv.Atoi(u.Uid)
		}
	}
	if rr.LocalHostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("cannot read the local hostname: %w", err)
		}
		rr.LocalHostname = h
	}
	if rr.SystemConfig == "" {
		rr.SystemConfig = "/etc/ssh/ssh_config"
	}
	if rr.Getenv == nil {
		rr.Getenv = os.LookupEnv
	}
	if rr.SSH == "" {
		self, _ := os.Executable()
		if p, err := FindRealSSH(self); err == nil {
			rr.SSH = p
		} else {
			rr.SSH = "none"
		}
	}
	return &rr, nil
}

func (r *Resolver) resolve(cl *CommandLine, destination string, depth int) (*Config, error) {
	if depth > maxJumpDepth {
		return nil, fmt.Errorf("ProxyJump loop via %s: check the ProxyJump lines of your ssh config", destination)
	}
	dest, err := parseDestination(destination)
	if err != nil {
		return nil, err
	}
	if depth == 0 {
		if err := checkCommandLineNames(cl, dest); err != nil {
			return nil, err
		}
	}
	var c *Config
	if !r.ForceSSHG {
		c, err = r.resolveNative(cl, dest)
		var needs *needsSSHError
		if err != nil && !errors.As(err, &needs) {
			return nil, err
		}
		if err != nil && r.SSH == "none" {
			return nil, fmt.Errorf("%w: %w; install openssh-client", ErrNeedsOpenSSH, err)
		}
	}
	if c == nil {
		s, err := r.evalSSHG(cl, destination)
		if err != nil {
			return nil, err
		}
		if c, err = r.build(s, dest, "ssh -G"); err != nil {
			return nil, err
		}
	}
	switch {
	case cl.count('q') > 0:
		c.LogLevel = "QUIET" // -q wins over the config, as in ssh
	case cl.count('v') > 0:
		c.LogLevel = []string{"DEBUG1", "DEBUG2", "DEBUG3"}[min(cl.count('v'), 3)-1]
	}
	if len(c.ProxyJump) > 0 {
		last := c.ProxyJump[len(c.ProxyJump)-1]
		if last.Host == c.HostName && (last.Port == 0 || last.Port == c.Port) && (last.User == "" || last.User == c.User) {
			return nil, fmt.Errorf("ProxyJump loop via %s: a host cannot jump through itself; exclude it from the Host pattern that sets ProxyJump", last.Host)
		}
		// As ssh does: the hop sees only -F, its own user and port, and
		// the earlier hops as its -J; other -o/-i options stay with the
		// destination.
		hop := &CommandLine{}
		if f := cl.last('F'); f != "" {
			_ = hop.Add('F', f)
		}
		if last.User != "" {
			_ = hop.Add('l', last.User)
		}
		if last.Port != 0 {
			_ = hop.Add('p', strconv.Itoa(last.Port))
		}
		if n := len(c.ProxyJump); n > 1 {
			var earlier []string
			for _, j := range c.ProxyJump[:n-1] {
				earlier = append(earlier, j.String())
			}
			_ = hop.Add('J', strings.Join(earlier, ","))
		}
		c.Via, err = r.resolve(hop, last.Host, depth+1)
		if err != nil {
			if depth > 0 {
				return nil, err
			}
			return nil, fmt.Errorf("jump host %s: %w", last, err)
		}
	}
	return c, nil
}

func (r *Resolver) resolveNative(cl *CommandLine, dest destination) (*Config, error) {
	s, err := r.evalNative(cl, dest)
	if err != nil {
		return nil, err
	}
	return r.build(s, dest, "native")
}

// destination is a parsed [user@]host or ssh:// URI.
type destination struct {
	user, host string
	port       int
}

// parseDestination splits [user@]host (the user is everything before the
// last @, as ssh does) or ssh://[user@]host[:port].
func parseDestination(s string) (destination, error) {
	var d destination
	if rest, ok := strings.CutPrefix(s, "ssh://"); ok {
		rest = strings.TrimSuffix(rest, "/")
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			d.user, rest = rest[:i], rest[i+1:]
		}
		host, port, err := splitHostPortOpt(rest)
		if err != nil {
			return d, fmt.Errorf("bad destination %q: %w", s, err)
		}
		d.host, d.port = host, port
	} else {
		d.host = s
		if i := strings.LastIndexByte(s, '@'); i >= 0 {
			d.user, d.host = s[:i], s[i+1:]
		}
	}
	if d.host == "" || strings.HasPrefix(d.host, "-") {
		return d, fmt.Errorf("bad destination %q: use [user@]host", s)
	}
	return d, nil
}

// splitHostPortOpt splits host[:port] or [v6addr][:port].
func splitHostPortOpt(s string) (string, int, error) {
	host, portStr := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("missing ]")
		}
		host = s[1:end]
		if rest := s[end+1:]; rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return "", 0, fmt.Errorf("junk after ]")
			}
			portStr = rest[1:]
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		host, portStr = s[:i], s[i+1:]
	}
	if portStr == "" {
		return host, 0, nil
	}
	p, err := parsePort(portStr)
	return host, p, err
}

// parseJumpList parses a ProxyJump value: comma-separated [user@]host[:port].
func parseJumpList(s, where string) ([]JumpHost, error) {
	if strings.EqualFold(s, "none") || s == "" {
		return nil, nil
	}
	var out []JumpHost
	for _, part := range strings.Split(s, ",") {
		var j JumpHost
		rest := part
		if strings.HasPrefix(rest, "ssh://") {
			d, err := parseDestination(rest)
			if err != nil {
				return nil, fmt.Errorf("%s: ProxyJump %q: %w", where, s, err)
			}
			j = JumpHost{User: d.user, Host: d.host, Port: d.port}
		} else {
			if i := strings.LastIndexByte(rest, '@'); i >= 0 {
				j.User, rest = rest[:i], rest[i+1:]
			}
			h, p, err := splitHostPortOpt(rest)
			if err != nil || h == "" {
				return nil, fmt.Errorf("%s: ProxyJump %q: bad hop %q: use [user@]host[:port][,…]", where, s, part)
			}
			j.Host, j.Port = h, p
		}
		out = append(out, j)
	}
	return out, nil
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}
