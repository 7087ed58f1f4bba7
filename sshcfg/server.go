package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// serverSearchDirs are where mosh-server is looked for after PATH: the
// usual places of package managers whose bin directory a non-interactive
// shell's PATH often lacks (macOS gives `ssh host cmd` only /usr/bin:/bin:
// /usr/sbin:/sbin). Homebrew on Apple silicon (/opt/homebrew/bin) comes
// before /usr/local/bin, where an Intel Homebrew under Rosetta or FreeBSD's
// ports put it; then MacPorts. $HOME is expanded by the remote shell.
var serverSearchDirs = []string{
	"/opt/homebrew/bin", "/usr/local/bin", "/opt/local/bin", "$HOME/.nix-profile/bin",
	"/nix/var/nix/profiles/default/bin", "/snap/bin", "$HOME/go/bin", "$HOME/.local/bin",
}

// ServerRequest says how to start mosh-server on the remote host.
type ServerRequest struct {
	// Server is --server: a path or command run instead of looking for
	// mosh-server. "" searches PATH, then serverSearchDirs.
	Server string
	// Colors is passed as -c (the terminal's colour count); 0 omits it.
	Colors int
	// UDPPort is -p PORT or LOW:HIGH; "" lets the server choose.
	UDPPort string
	// Locale are NAME=VALUE pairs for -l; nil means ServerLocale(os.LookupEnv).
	Locale []string
	// Command runs instead of the login shell (after --).
	Command []string
	// Term is TERM for the remote pty; "" means xterm-256color.
	Term string
	// Env are NAME=VALUE pairs exported to mosh-server and so to the
	// session's shell (SSH_AUTH_SOCK for a forwarded agent). Unlike -l,
	// which mosh 1.4's server applies only without a UTF-8 locale, they
	// reach the shell from any server.
	Env []string
	// Notice receives what the user should see (server messages, locale
	// changes); nil drops them.
	Notice func(string)
	// Warn, when set, receives this package's own messages (the locale
	// changes), one line each without the program's name, which the caller
	// adds; nil sends them to Notice.
	Warn func(string)
	// Args, when set, replace the `new -s …` arguments built from the
	// fields above: `attach ID` takes over a running session of our
	// mosh-server, which answers with the same MOSH CONNECT line.
	Args []string
}

// ServerInfo is what a started mosh-server told us.
type ServerInfo struct {
	Host string // the destination, for messages
	// IP is where to send UDP: the address the SSH connection reached
	// (Conn.RemoteIP), else the server's own address from SSH_CONNECTION.
	IP   net.IP
	Port int
	// Key is the session key. Never log or print it: ServerInfo's String
	// and LogValue leave it out.
	Key string
	// PID is the detached mosh-server's pid on the remote, 0 if not printed.
	PID int
	// SSHConnectionIP is the server address sshd reported, if any.
	SSHConnectionIP net.IP
	// Version names the server from its banner ("mosh 1.4.0", or ours:
	// "ssh-mosh v1.2.3"); "" when it printed none. Printable ASCII only.
	Version string
	// Ours says the banner is our mosh-server's, which keeps a session
	// whose client went away for --attach.
	Ours bool
}

// String describes info without the key.
func (i *ServerInfo) String() string {
	return fmt.Sprintf("mosh-server on %s (%s) port %d pid %d", i.Host, i.IP, i.Port, i.PID)
}

// LogValue keeps the key out of slog output.
func (i *ServerInfo) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", i.Host), slog.String("ip", i.IP.String()),
		slog.Int("port", i.Port), slog.Int("pid", i.PID))
}

// ErrServerNotFound is wrapped when no mosh-server exists on the remote.
var ErrServerNotFound = errors.New("mosh-server not found")

// connectRE is mosh.pl's MOSH CONNECT pattern: a port and a 22-character
// base64 key, then only blanks.
var connectRE = regexp.MustCompile(`^MOSH CONNECT (\d+) ([A-Za-z0-9/+]{22})\s*$`)

// ParseConnect parses a "MOSH CONNECT <port> <key>" line (a trailing \r
// from the pty is allowed).
func ParseConnect(line string) (port int, key string, err error) {
	m := connectRE.FindStringSubmatch(strings.TrimRight(line, "\r\n"))
	if m == nil {
		return 0, "", fmt.Errorf("not a MOSH CONNECT line")
	}
	port, err = strconv.Atoi(m[1])
	if err != nil || port <= 0 || port > 65535 {
		return 0, "", fmt.Errorf("MOSH CONNECT: bad port %q", m[1])
	}
	return port, m[2], nil
}

// envNameRE is a shell variable name (ServerRequest.Env).
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// bannerRE matches the first line of mosh-server's banner: "mosh-server
// (mosh 1.4.0) [build mosh 1.4.0]", ours "[build ssh-mosh v1.2.3,
// protocol 2]". The remote prints it: printable ASCII only, bounded.
var bannerRE = regexp.MustCompile(`^mosh-server \((mosh [!-~]{1,40})\) \[build ([ -Z^-~]{1,80})\]$`)

// serverVersion names the server of a banner line: ours by our build
// ("ssh-mosh v1.2.3"), any other by its mosh version ("mosh 1.4.0").
func serverVersion(line []byte) (version string, ours bool, ok bool) {
	m := bannerRE.FindSubmatch(line)
	if m == nil {
		return "", false, false
	}
	if build, found := strings.CutPrefix(string(m[2]), "ssh-mosh "); found {
		v, _, _ := strings.Cut(build, ",")
		return "ssh-mosh " + v, true, true
	}
	return string(m[1]), false, true
}

// detachedRE matches mosh-server's "[mosh-server detached, pid = N]".
var detachedRE = regexp.MustCompile(`^\[mosh-server detached, pid = (\d+)\]`)

// Output markers printed by our remote script.
const (
	markSSHConnection = "MOSH SSH_CONNECTION "
	markNotFound      = "SSH-MOSH NOT-FOUND "
	markDone          = "SSH-MOSH DONE "
)

// remoteScript builds the single remote command: report SSH_CONNECTION,
// find mosh-server, and run it. It runs under sh whatever the login shell
// is, with every argument single-quoted as mosh.pl quotes them.
func remoteScript(req ServerRequest, locale []string) string {
	args := []string{"new", "-s"}
	if req.Args != nil {
		args = req.Args
		locale = nil
		req.Command = nil
		req.Colors = 0
		req.UDPPort = ""
	}
	if req.Colors > 0 {
		args = append(args, "-c", strconv.Itoa(req.Colors))
	}
	if req.UDPPort != "" {
		args = append(args, "-p", req.UDPPort)
	}
	for _, l := range locale {
		args = append(args, "-l", l)
	}
	if len(req.Command) > 0 {
		args = append(args, "--")
		args = append(args, req.Command...)
	}
	var quoted []string
	for _, a := range args {
		quoted = append(quoted, ShellQuote(a))
	}
	var b strings.Builder
	b.WriteString(`[ -n "$SSH_CONNECTION" ] && printf '\n` + markSSHConnection + `%s\n' "$SSH_CONNECTION"; `)
	for _, kv := range req.Env {
		if name, val, ok := strings.Cut(kv, "="); ok && envNameRE.MatchString(name) {
			fmt.Fprintf(&b, "%s=%s; export %s; ", name, ShellQuote(val), name)
		}
	}
	if req.Server != "" {
		// --server is a command, as in mosh: used as given (unquoted).
		first := req.Server
		if w, err := SplitShellWords(req.Server); err == nil && len(w) > 0 {
			first = w[0]
		}
		fmt.Fprintf(&b, `s=%s; command -v "$s" >/dev/null 2>&1 || [ -x "$s" ] || { printf '\n`+markNotFound+`%%s\n' "$s"; read -r _; exit 127; }; `, ShellQuote(first))
		fmt.Fprintf(&b, `%s %s`, req.Server, strings.Join(quoted, " "))
		b.WriteString(scriptEnd)
		return b.String()
	}
	b.WriteString(`s=$(command -v mosh-server 2>/dev/null); `)
	b.WriteString(`if [ -z "$s" ]; then for d in ` + strings.Join(dquoteAll(serverSearchDirs), " ") +
		`; do if [ -x "$d/mosh-server" ]; then s="$d/mosh-server"; break; fi; done; fi; `)
	b.WriteString(`[ -n "$s" ] || { printf '\n` + markNotFound + `PATH=%s\n' "$PATH"; read -r _; exit 127; }; `)
	b.WriteString(`"$s" ` + strings.Join(quoted, " "))
	b.WriteString(scriptEnd)
	return b.String()
}

// scriptEnd reports mosh-server's exit status, then waits for the client to
// hang up: sshd may drop a pty's last output when the command exits at
// once, so the command stays until the client has read everything.
const scriptEnd = `; printf '\n` + markDone + `%s\n' "$?"; read -r _`

func dquoteAll(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = `"` + d + `"`
	}
	return out
}

// StartServer starts mosh-server on the remote host over conn, in one
// remote command with a pty (as mosh's ssh -tt), and returns what it
// printed. A server that refuses the forwarded locale is retried once
// with LANG=C.UTF-8.
//
// The wait is bounded: by size (startupLimit) and, when the user set
// ConnectTimeout or ServerAliveInterval, by time (StartupTimeout); either
// ends it with a *StartupError. Cancelling ctx (Ctrl-C) ends it at once
// with ctx's error. A mosh-server that had already said it started is
// stopped before an error is returned.
func StartServer(ctx context.Context, conn *Conn, req ServerRequest) (*ServerInfo, error) {
	return startServerLimited(ctx, connStarter{conn}, req, startupLimit)
}

func startServerLimited(ctx context.Context, x starter, req ServerRequest, limit int64) (*ServerInfo, error) {
	notice := req.Warn
	if notice == nil {
		notice = req.Notice
	}
	if notice == nil {
		notice = func(string) {}
	}
	locale := req.Locale
	if locale == nil {
		var msg string
		locale, msg = ServerLocale(os.LookupEnv)
		if msg != "" {
			notice(msg)
		}
	}
	if d, why := StartupTimeout(x.config()); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, &StartupError{Host: x.config().Host, Limit: fmt.Sprintf("within %v (%s)", d, why)})
		defer cancel()
	}
	info, out, err := startOnce(ctx, x, req, locale, limit)
	if err != nil && strings.Contains(out, "needs a UTF-8 native locale") && !(len(locale) == 1 && locale[0] == fallbackLocale) {
		notice(fmt.Sprintf("mosh-server on %s cannot use %s; retrying with %s", x.config().Host, strings.Join(locale, " "), fallbackLocale))
		info, _, err = startOnce(ctx, x, req, []string{fallbackLocale}, limit)
	}
	if err != nil {
		return nil, err
	}
	return info, nil
}

// startOnce runs the remote script once; out is the other output, for the
// locale retry.
func startOnce(ctx context.Context, x starter, req ServerRequest, locale []string, limit int64) (*ServerInfo, string, error) {
	cfg := x.config()
	host := cfg.Host
	// /bin/sh by path: the login shell may be fish or csh, and PATH may be
	// anything.
	stdout, closeSession, err := x.start(ctx, "/bin/sh -c "+ShellQuote(remoteScript(req, locale)), req.Term)
	if err != nil {
		return nil, "", err
	}
	defer closeSession()
	o, readErr := readStartup(stdout, limit)
	closeSession()
	fail := func(err error) (*ServerInfo, string, error) {
		// A server that said it detached must not outlive the failure.
		if o.PID > 0 {
			_ = killServer(x, &ServerInfo{Host: host, PID: o.PID})
		}
		return nil, o.startupText(), err
	}
	if cause := context.Cause(ctx); cause != nil {
		var se *StartupError
		if errors.As(cause, &se) {
			e := *se
			e.Printed = o.quoteOther()
			return fail(&e)
		}
		return fail(fmt.Errorf("starting mosh-server on %s: %w", host, ctx.Err()))
	}
	if errors.Is(readErr, errStartupTooLong) {
		return fail(&StartupError{Host: host, Limit: "after " + formatLimit(limit) + " of output", Printed: o.quoteOther()})
	}
	info := &ServerInfo{Host: host, IP: x.remoteIP(), PID: o.PID, SSHConnectionIP: o.SSHConnectionIP, Version: o.Version, Ours: o.Ours}
	switch {
	case o.SawNotFound:
		looked := o.NotFound
		if req.Server == "" {
			looked += ", " + strings.Join(serverSearchDirs, ", ")
		}
		return fail(fmt.Errorf("%w on %s (looked in %s): install mosh or pass --server=PATH", ErrServerNotFound, host, looked))
	case o.BadConnect:
		return fail(fmt.Errorf("mosh-server on %s printed a bad MOSH CONNECT line", host))
	case !o.Connect:
		msg := strings.Join(o.Other, "; ")
		if msg == "" && o.Status != "" && o.Status != "0" {
			msg = "exit status " + o.Status
		}
		if msg == "" && readErr != nil {
			msg = readErr.Error()
		}
		return fail(fmt.Errorf("mosh-server on %s did not start: %s", host, msg))
	}
	info.Port, info.Key = o.Port, o.Key
	if info.IP == nil {
		info.IP = info.SSHConnectionIP
	}
	if info.IP == nil {
		return fail(fmt.Errorf("no IP address known for %s: connect without a proxy or jump host", host))
	}
	if req.Notice != nil {
		for _, l := range o.Other {
			if !isBannerLine(l) {
				req.Notice(l)
			}
		}
	}
	return info, o.startupText(), nil
}

// isBannerLine recognises mosh-server's version banner, which mosh hides
// as well.
func isBannerLine(l string) bool {
	for _, p := range []string{"mosh-server (mosh ", "Copyright 2012 Keith Winstein", "License GPLv3+", "This is free software", "There is NO WARRANTY"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// applyEnv sends SetEnv and the SendEnv-matching local variables, as ssh
// does for a session (the server accepts what its AcceptEnv allows).
func applyEnv(sess *ssh.Session, c *Config) {
	for _, kv := range sessionEnv(c) {
		k, v, _ := strings.Cut(kv, "=")
		_ = sess.Setenv(k, v)
	}
}

// sessionEnv is what a session sends of the environment: ssh_config's
// SetEnv, then the local variables SendEnv names.
func sessionEnv(c *Config) []string {
	env := append([]string(nil), c.SetEnv...)
	if len(c.SendEnv) == 0 {
		return env
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, pat := range c.SendEnv {
			if wildMatch(pat, k) {
				env = append(env, kv)
				break
			}
		}
	}
	return env
}

// KillServer stops a mosh-server that StartServer started, when the
// session could not take over (its pid must have been printed).
func KillServer(conn *Conn, info *ServerInfo) error { return killServer(connStarter{conn}, info) }

func killServer(x starter, info *ServerInfo) error {
	if info.PID <= 0 {
		return fmt.Errorf("pid of mosh-server on %s unknown: cannot stop it", info.Host)
	}
	if out, err := x.output(context.Background(), "kill "+strconv.Itoa(info.PID)); err != nil {
		return fmt.Errorf("stopping mosh-server pid %d on %s: %w: %s", info.PID, info.Host, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// starter is where StartServer runs its remote commands: the in-process
// SSH connection (connStarter) or a connection-sharing master's
// (MuxStarter).
type starter interface {
	config() *Config
	// remoteIP is the address the connection reached, nil if unknown.
	remoteIP() net.IP
	// start runs command and returns its output, standard error merged,
	// until closeSession ends the session; term is the terminal's type
	// where the start-up runs on one.
	start(ctx context.Context, command, term string) (out io.Reader, closeSession func(), err error)
	// output runs command to its end and returns its output.
	output(ctx context.Context, command string) ([]byte, error)
}

// connStarter runs on our own SSH connection, the start-up on a pty as
// mosh's does (ssh -t): mosh-server takes its first size from it.
type connStarter struct{ conn *Conn }

func (c connStarter) config() *Config  { return c.conn.Config }
func (c connStarter) remoteIP() net.IP { return c.conn.RemoteIP }

func (c connStarter) start(ctx context.Context, command, term string) (io.Reader, func(), error) {
	host := c.conn.Config.Host
	sess, done, err := openSession(ctx, c.conn)
	if err != nil {
		return nil, nil, err
	}
	if term == "" {
		term = "xterm-256color"
	}
	if err := sess.RequestPty(term, 24, 80, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		done()
		return nil, nil, fmt.Errorf("%s: pty request refused: %w", host, err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("%s: %w", host, err)
	}
	// With a pty the remote stderr arrives merged into stdout.
	sess.Stderr = io.Discard
	if err := sess.Start(command); err != nil {
		done()
		return nil, nil, fmt.Errorf("%s: cannot run the remote command: %w", host, err)
	}
	return stdout, done, nil
}

func (c connStarter) output(_ context.Context, command string) ([]byte, error) {
	sess, err := c.conn.Client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open a session: %w", c.conn.Config.Host, err)
	}
	defer sess.Close()
	return sess.CombinedOutput(command)
}

// ServerCommand is the remote command that runs mosh-server (req.Server,
// a command used as given, as for a new session; else the one in PATH or
// the usual directories) with args, for the sub-commands whose output is
// read as it is (sessions, kill): no pty, exit status 127 when none is
// found.
func ServerCommand(server string, args []string) string {
	var quoted []string
	for _, a := range args {
		quoted = append(quoted, ShellQuote(a))
	}
	if server != "" {
		return "/bin/sh -c " + ShellQuote(server+" "+strings.Join(quoted, " "))
	}
	var b strings.Builder
	b.WriteString(`s=$(command -v mosh-server 2>/dev/null); `)
	b.WriteString(`if [ -z "$s" ]; then for d in ` + strings.Join(dquoteAll(serverSearchDirs), " ") +
		`; do if [ -x "$d/mosh-server" ]; then s="$d/mosh-server"; break; fi; done; fi; `)
	b.WriteString(`[ -n "$s" ] || { echo "mosh-server not found (PATH=$PATH): install it or pass --server=PATH" >&2; exit 127; }; `)
	b.WriteString(`exec "$s" ` + strings.Join(quoted, " "))
	return "/bin/sh -c " + ShellQuote(b.String())
}
