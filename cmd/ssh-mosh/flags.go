package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ssh-mosh/ssh-mosh/sshcfg"
	mterm "github.com/ssh-mosh/ssh-mosh/term"
)

// Options holds everything ssh-mosh accepts on its command line: every
// OpenSSH ssh flag (so `alias ssh=ssh-mosh` keeps working) and mosh's long
// options. The zero value means "nothing given".
//
// Single-letter flags keep ssh's getopt semantics: they may be bundled (-4v,
// -tt), take their value attached or separate (-p22, -p 22, -oPort=22), and
// the repeatable ones accumulate in order.
type Options struct {
	// Boolean ssh flags, counted because some matter when repeated.
	IPv4, IPv6           bool          // -4, -6
	ForwardAgent         bool          // -A
	NoForwardAgent       bool          // -a
	Compression          bool          // -C
	Background           bool          // -f
	PrintConfig          bool          // -G
	GatewayPorts         bool          // -g
	GSSAPIAuth           bool          // -K
	NoGSSAPIDelegation   bool          // -k
	ControlMaster        int           // -M (twice: ask)
	NoCommand            bool          // -N
	StdinNull            bool          // -n
	Quiet                bool          // -q
	Subsystem            bool          // -s
	TTY                  int           // -t (twice: force even without a local tty)
	NoTTY                bool          // -T
	Version              bool          // -V
	Verbose              int           // -v, --verbose
	ForwardX11           bool          // -X
	NoForwardX11         bool          // -x
	ForwardX11Trusted    bool          // -Y
	Syslog               bool          // -y
	Protocol1, Protocol2 bool          // -1, -2 (obsolete, accepted)
	BindInterface        string        // -B
	BindAddress          string        // -b
	Ciphers              string        // -c
	DynamicForwards      []string      // -D
	LogFile              string        // -E, --log
	EscapeChar           string        // -e
	ConfigFile           string        // -F
	PKCS11               string        // -I
	IdentityFiles        []string      // -i
	ProxyJump            string        // -J
	LocalForwards        []string      // -L
	LoginName            string        // -l
	MACs                 string        // -m
	ControlCommand       string        // -O
	ConfigOptions        []string      // -o, in order (the first value of a keyword wins, as in ssh)
	Tag                  string        // -P
	Port                 int           // -p (0: not given)
	Query                string        // -Q
	RemoteForwards       []string      // -R
	ControlPath          string        // -S
	StdioForward         string        // -W
	TunnelDevice         string        // -w
	SSHProgram           string        // first word of --ssh (default "ssh")
	Server               string        // --server: mosh-server path or command on the remote
	Predict              string        // --predict: adaptive|always|never|experimental
	PredictOverwrite     bool          // --predict-overwrite
	UDPPort              string        // --port=PORT[:PORT2]
	Family               string        // --family: inet|inet6|auto|all|prefer-inet|prefer-inet6
	NoInit               bool          // --no-init
	Scrollback           int           // --scrollback: history lines, 0 = off
	NoFallback           bool          // --no-fallback: fail rather than fall back to plain ssh
	Transport            string        // --transport: auto|udp|ssh
	Local                bool          // --local: run client and server here (testing)
	Delay                time.Duration // --delay: one-way delay per datagram with --local
	Loss                 float64       // --loss: fraction of datagrams dropped with --local, 0..1
	Connect              string        // --connect: HOST:PORT of a running mosh-server (key in MOSH_KEY), no SSH
	Sessions             bool          // --sessions: list the sessions of our mosh-server on the host
	Attach               string        // --attach[=ID]: take over a running session (attachDetached: the one detached)
	Kill                 string        // --kill=ID: end a running session
	sshCommand           string        // --ssh as given
	seen                 []byte        // single-letter ssh flags in the order given

	// resolution holds the flags that feed config resolution, in order
	// (sshcfg.Resolve takes it); clog is -E/--log, opened by dispatch.
	resolution sshcfg.CommandLine
	clog       *clientLog
}

// sshBoolFlags are ssh's flags without an argument; sshArgFlags take one
// (OpenSSH 9 getopt string "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy").
const (
	sshBoolFlags = "1246AaCfGgKkMNnqsTtVvXxYy"
	sshArgFlags  = "BbcDEeFIiJLlmOoPpQRSWw"
)

// Seen reports whether the single-letter ssh flag was given.
func (o *Options) Seen(flag byte) bool { return strings.IndexByte(string(o.seen), flag) >= 0 }

// SeenFlags returns the single-letter ssh flags given, in order, one per use.
func (o *Options) SeenFlags() string { return string(o.seen) }

// SSHCommand returns the --ssh value as given ("" when absent).
func (o *Options) SSHCommand() string { return o.sshCommand }

// sshFlagValue adapts one ssh letter to pflag.Value, recording it in order.
type sshFlagValue struct {
	o      *Options
	letter byte
}

var _ pflag.Value = (*sshFlagValue)(nil)

func (v *sshFlagValue) String() string { return "" }
func (v *sshFlagValue) Type() string {
	if strings.IndexByte(sshBoolFlags, v.letter) >= 0 {
		return "bool"
	}
	return "string"
}

func (v *sshFlagValue) Set(s string) error {
	v.o.seen = append(v.o.seen, v.letter)
	return v.o.setSSHFlag(v.letter, s)
}

// CommandLine returns what config resolution takes from the command line
// (sshcfg.Resolve): the flags that feed it, in order, and where the
// destination stood.
func (o *Options) CommandLine() *sshcfg.CommandLine { return &o.resolution }

// setSSHFlag applies one ssh flag. For flags without an argument s is the
// pflag NoOptDefVal and is ignored.
func (o *Options) setSSHFlag(letter byte, s string) error {
	if err := o.resolution.Add(letter, s); err != nil {
		return err
	}
	switch letter {
	case '1':
		o.Protocol1 = true
	case '2':
		o.Protocol2 = true
	case '4':
		o.IPv4, o.IPv6 = true, false
	case '6':
		o.IPv6, o.IPv4 = true, false
	case 'A':
		o.ForwardAgent = true
	case 'a':
		o.NoForwardAgent = true
	case 'C':
		o.Compression = true
	case 'f':
		o.Background = true
	case 'G':
		o.PrintConfig = true
	case 'g':
		o.GatewayPorts = true
	case 'K':
		o.GSSAPIAuth = true
	case 'k':
		o.NoGSSAPIDelegation = true
	case 'M':
		o.ControlMaster++
	case 'N':
		o.NoCommand = true
	case 'n':
		o.StdinNull = true
	case 'q':
		o.Quiet = true
	case 's':
		o.Subsystem = true
	case 't':
		o.TTY++
	case 'T':
		o.NoTTY = true
	case 'V':
		o.Version = true
	case 'v':
		o.Verbose++
	case 'X':
		o.ForwardX11 = true
	case 'x':
		o.NoForwardX11 = true
	case 'Y':
		o.ForwardX11Trusted = true
	case 'y':
		o.Syslog = true
	case 'B':
		o.BindInterface = s
	case 'b':
		o.BindAddress = s
	case 'c':
		o.Ciphers = s
	case 'D':
		o.DynamicForwards = append(o.DynamicForwards, s)
	case 'E':
		o.LogFile = s
	case 'e':
		o.EscapeChar = s
	case 'F':
		o.ConfigFile = s
	case 'I':
		o.PKCS11 = s
	case 'i':
		o.IdentityFiles = append(o.IdentityFiles, s)
	case 'J':
		o.ProxyJump = s
	case 'L':
		o.LocalForwards = append(o.LocalForwards, s)
	case 'l':
		o.LoginName = s
	case 'm':
		o.MACs = s
	case 'O':
		o.ControlCommand = s
	case 'o':
		o.ConfigOptions = append(o.ConfigOptions, s)
	case 'P':
		o.Tag = s
	case 'p':
		o.Port, _ = strconv.Atoi(s) // checked by resolution.Add
	case 'Q':
		o.Query = s
	case 'R':
		o.RemoteForwards = append(o.RemoteForwards, s)
	case 'S':
		o.ControlPath = s
	case 'W':
		o.StdioForward = s
	case 'w':
		o.TunnelDevice = s
	default:
		return fmt.Errorf("unknown ssh flag -%c", letter)
	}
	return nil
}

// sshLongNames gives each ssh letter the long name pflag requires. They are
// hidden from usage: ssh users type the letters.
var sshLongNames = map[byte]string{
	'1': "ssh-1", '2': "ssh-2", '4': "ipv4", '6': "ipv6", 'A': "forward-agent", 'a': "no-forward-agent",
	'C': "compression", 'f': "background", 'G': "print-config", 'g': "gateway-ports", 'K': "gssapi",
	'k': "no-gssapi-delegation", 'M': "control-master", 'N': "no-command", 'n': "stdin-null",
	'q': "quiet", 's': "subsystem", 'T': "no-tty", 't': "tty", 'V': "ssh-version", 'v': "verbose",
	'X': "forward-x11", 'x': "no-forward-x11", 'Y': "forward-x11-trusted", 'y': "syslog",
	'B': "bind-interface", 'b': "bind-address", 'c': "cipher", 'D': "dynamic-forward", 'E': "log-file",
	'e': "escape-char", 'F': "config", 'I': "pkcs11", 'i': "identity", 'J': "jump", 'L': "local-forward",
	'l': "login", 'm': "macs", 'O': "control-command", 'o': "option", 'P': "tag", 'p': "ssh-port",
	'Q': "query", 'R': "remote-forward", 'S': "control-path", 'W': "stdio-forward", 'w': "tunnel",
}

// addSSHFlags registers the single-letter ssh flags on fs.
func (o *Options) addSSHFlags(fs *pflag.FlagSet) {
	for _, letters := range []string{sshBoolFlags, sshArgFlags} {
		for i := 0; i < len(letters); i++ {
			c := letters[i]
			f := fs.VarPF(&sshFlagValue{o: o, letter: c}, sshLongNames[c], string(c), "ssh -"+string(c))
			if strings.IndexByte(sshBoolFlags, c) >= 0 {
				// A value-less flag in pflag is one with a NoOptDefVal;
				// "+1" is what pflag's own count flags use.
				f.NoOptDefVal = "+1"
			}
			if c != 'v' {
				f.Hidden = true
			}
		}
	}
}

// AddFlags registers all flags on fs. The caller should disable interspersed
// parsing (cobra: Flags().SetInterspersed(false)) and finish with
// ParseAfterDestination, so that options after the destination are read as
// ssh reads them and the remote command starts at the first non-option.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.addSSHFlags(fs)
	fs.Var(&sshCommandValue{o: o}, "ssh", "ssh command and its flags, shell-split (e.g. --ssh=\"ssh -p 2022\")")
	fs.StringVar(&o.Server, "server", "", "mosh-server to run on the remote host (path or command)")
	fs.StringVar(&o.Predict, "predict", "", "local echo: adaptive|always|never|experimental")
	fs.BoolVar(&o.PredictOverwrite, "predict-overwrite", false, "predicted characters overwrite instead of insert")
	fs.StringVar(&o.UDPPort, "port", "", "server-side UDP port or range PORT[:PORT2]")
	fs.StringVar(&o.Family, "family", "", "address family: inet|inet6|auto|all|prefer-inet|prefer-inet6")
	fs.BoolVar(&o.NoInit, "no-init", false, "do not switch the terminal to the alternate screen")
	o.Scrollback = mterm.DefaultHistoryLines
	fs.Var((*linesValue)(&o.Scrollback), "scrollback", "with our server: lines of the session's history kept for the terminal's scrollback (0: off, and the alternate screen is used)")
	fs.BoolVar(&o.NoFallback, "no-fallback", false, "fail instead of falling back to a plain ssh session")
	fs.StringVar(&o.Transport, "transport", "", "datagram path: auto|udp|ssh")
	fs.BoolVar(&o.Local, "local", false, "run client and server on this machine (testing)")
	fs.Var((*delayValue)(&o.Delay), "delay", "with --local: one-way delay added to each datagram")
	fs.Var((*lossValue)(&o.Loss), "loss", "with --local: datagrams dropped, as a fraction (0.05) or a percentage (5%)")
	fs.StringVar(&o.Connect, "connect", "", "HOST:PORT of a running mosh-server (key in MOSH_KEY); no SSH")
	fs.BoolVar(&o.Sessions, "sessions", false, "list this user's sessions of ssh-mosh's mosh-server on the host")
	fs.StringVar(&o.Attach, "attach", "", "take over a running session on the host: the one detached, or ID")
	fs.Lookup("attach").NoOptDefVal = attachDetached
	fs.StringVar(&o.Kill, "kill", "", "end the running session ID on the host")
	fs.StringVar(&o.LogFile, "log", "", "append the client's log to this file instead of stderr (as -E)")
}

// ParseAfterDestination completes a parse of fs (not interspersed) whose
// positional arguments are args, the way ssh's main() does: once the
// destination is found, option parsing starts again on the words after it,
// up to the first one that is not an option (the remote command) or "--".
// So `host -p 2201 -l alice` sets the port and the user, while `host ls -l`
// runs `ls -l`, and `-- host -p 1` runs `-p 1`. dashAt is fs.ArgsLenAtDash()
// of the first parse: 0 means "--" came before the destination, which ends
// option parsing for good.
//
// Where the destination stood matters: ssh keeps the first user and port it
// reads, so `-l a b@h` logs in as a but `b@h -l a` as b.
func (o *Options) ParseAfterDestination(fs *pflag.FlagSet, args []string, dashAt int) ([]string, error) {
	if len(args) < 2 || dashAt == 0 {
		return args, nil
	}
	dest := args[0]
	o.resolution.MarkDestination()
	if err := fs.Parse(args[1:]); err != nil {
		return nil, err
	}
	return append([]string{dest}, fs.Args()...), nil
}

// Validate checks the mosh-style options that have a fixed vocabulary.
func (o *Options) Validate() error {
	check := func(name, v string, allowed ...string) error {
		if v == "" {
			return nil
		}
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("--%s=%s: must be one of %s", name, v, strings.Join(allowed, ", "))
	}
	if err := check("predict", o.Predict, "adaptive", "always", "never", "experimental"); err != nil {
		return err
	}
	if err := check("family", o.Family, sshcfg.Families...); err != nil {
		return err
	}
	if err := check("transport", o.Transport, "auto", "udp", "ssh"); err != nil {
		return err
	}
	if o.UDPPort != "" {
		if _, _, err := ParsePortRange(o.UDPPort); err != nil {
			return err
		}
	}
	if o.Attach != "" && o.Attach != attachDetached && !isSessionID(o.Attach) {
		return fmt.Errorf("--attach=%s: a session ID is a number, as --sessions lists it", o.Attach)
	}
	if o.Kill != "" && !isSessionID(o.Kill) {
		return fmt.Errorf("--kill=%s: a session ID is a number, as --sessions lists it", o.Kill)
	}
	if n := btoi(o.Sessions) + btoi(o.Attach != "") + btoi(o.Kill != ""); n > 1 {
		return errors.New("--sessions, --attach and --kill: give one of them")
	}
	if o.Loss < 0 || o.Loss > 1 {
		return fmt.Errorf("--loss=%v: must be between 0 and 1", o.Loss)
	}
	return nil
}

// ParsePortRange checks --port: PORT or LOW:HIGH within 1-65535 (0 alone
// lets the server choose). It is stricter than mosh-server's own strtol
// reading of -p (cmd/mosh-server), so what passes here the server accepts.
func ParsePortRange(s string) (low, high int, err error) {
	a, b, isRange := strings.Cut(s, ":")
	low, err = strconv.Atoi(a)
	if err == nil && isRange {
		high, err = strconv.Atoi(b)
	} else {
		high = low
	}
	if err != nil || low < 0 || high > 65535 || low > high || (isRange && low == 0) {
		return 0, 0, fmt.Errorf("bad UDP port range %q: use PORT or LOW:HIGH within 1-65535", s)
	}
	return low, high, nil
}

// sshCommandValue parses --ssh: the first word names the ssh program, the
// rest are ssh flags applied at that position on the command line.
type sshCommandValue struct{ o *Options }

var _ pflag.Value = (*sshCommandValue)(nil)

func (v *sshCommandValue) String() string { return v.o.sshCommand }
func (v *sshCommandValue) Type() string   { return "string" }

func (v *sshCommandValue) Set(s string) error {
	words, err := sshcfg.SplitShellWords(s)
	if err != nil {
		return fmt.Errorf("--ssh: %w", err)
	}
	if len(words) == 0 {
		return fmt.Errorf("--ssh: empty command")
	}
	v.o.sshCommand = s
	v.o.SSHProgram = words[0]
	fs := pflag.NewFlagSet("ssh", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.Usage = func() {}
	v.o.addSSHFlags(fs)
	if err := fs.Parse(words[1:]); err != nil {
		return fmt.Errorf("--ssh=%q: %w", s, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("--ssh=%q: only flags may follow the program, not %q", s, fs.Arg(0))
	}
	return nil
}

// linesValue is --scrollback's number of lines, worded for the user when
// it is not one (pflag's IntVar would quote strconv).
type linesValue int

func (l *linesValue) String() string { return strconv.Itoa(int(*l)) }
func (l *linesValue) Type() string   { return "lines" }
func (l *linesValue) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a number of lines, 0 for none")
	}
	*l = linesValue(v)
	return nil
}

// delayValue is --delay's duration, worded for the user when it is not one.
type delayValue time.Duration

func (d *delayValue) String() string {
	if *d == 0 {
		return "0" // what pflag takes for a default not worth showing
	}
	return time.Duration(*d).String()
}
func (d *delayValue) Type() string { return "duration" }
func (d *delayValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration like 100ms or 1.5s")
	}
	*d = delayValue(v)
	return nil
}

// lossValue is --loss: a fraction of datagrams (0.05) or a percentage (5%).
type lossValue float64

func (l *lossValue) String() string { return strconv.FormatFloat(float64(*l), 'g', -1, 64) }
func (l *lossValue) Type() string   { return "fraction" }
func (l *lossValue) Set(s string) error {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return fmt.Errorf("want a fraction like 0.05 or a percentage like 5%%")
	}
	if pct {
		v /= 100
	}
	*l = lossValue(v)
	return nil
}
