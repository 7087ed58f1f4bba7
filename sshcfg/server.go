package sshcfg

import (
	"bufio"
	"bytes"
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
// shell's PATH often lacks. $HOME is expanded by the remote shell.
var serverSearchDirs = []string{
	"/usr/local/bin", "/opt/homebrew/bin", "/opt/local/bin", "$HOME/.nix-profile/bin",
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
	// Notice receives what the user should see (server messages, locale
	// changes); nil drops them.
	Notice func(string)
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
		return 0, "", fmt.Errorf("sshcfg: not a MOSH CONNECT line")
	}
	port, err = strconv.Atoi(m[1])
	if err != nil || port <= 0 || port > 65535 {
		return 0, "", fmt.Errorf("sshcfg: MOSH CONNECT: bad port %q", m[1])
	}
	return port, m[2], nil
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
func StartServer(ctx context.Context, conn *Conn, req ServerRequest) (*ServerInfo, error) {
	notice := req.Notice
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
	info, out, err := startOnce(ctx, conn, req, locale)
	if err != nil && strings.Contains(out, "needs a UTF-8 native locale") && !(len(locale) == 1 && locale[0] == fallbackLocale) {
		notice(fmt.Sprintf("ssh-mosh: mosh-server on %s cannot use %s; retrying with %s", conn.Config.Host, strings.Join(locale, " "), fallbackLocale))
		info, _, err = startOnce(ctx, conn, req, []string{fallbackLocale})
	}
	if err != nil {
		return nil, err
	}
	return info, nil
}

// startOnce runs the remote script once; out is the whole output, for the
// locale retry.
func startOnce(ctx context.Context, conn *Conn, req ServerRequest, locale []string) (*ServerInfo, string, error) {
	host := conn.Config.Host
	sess, done, err := openSession(ctx, conn)
	if err != nil {
		return nil, "", err
	}
	defer done()
	term := req.Term
	if term == "" {
		term = "xterm-256color"
	}
	if err := sess.RequestPty(term, 24, 80, ssh.TerminalModes{ssh.ECHO: 0}); err != nil {
		return nil, "", fmt.Errorf("sshcfg: %s: pty request refused: %w", host, err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return nil, "", fmt.Errorf("sshcfg: %s: %w", host, err)
	}
	// With a pty the remote stderr arrives merged into stdout.
	sess.Stderr = io.Discard
	// /bin/sh by path: the login shell may be fish or csh, and PATH may be
	// anything.
	if err := sess.Start("/bin/sh -c " + ShellQuote(remoteScript(req, locale))); err != nil {
		return nil, "", fmt.Errorf("sshcfg: %s: cannot run the remote command: %w", host, err)
	}
	// Read until our end marker; then hang up (closing the session ends
	// the script's final read).
	var buf bytes.Buffer
	sc := bufio.NewScanner(stdout)
	sawConnect := false
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		buf.WriteString(line + "\n")
		if strings.HasPrefix(line, markDone) || strings.HasPrefix(line, markNotFound) {
			break
		}
		sawConnect = sawConnect || strings.HasPrefix(line, "MOSH CONNECT ")
		// The detach line is the server parent's last word: once it and
		// MOSH CONNECT are in, the session can start without waiting for
		// the script's end marker (a round trip saved on every start).
		if sawConnect && detachedRE.MatchString(line) {
			break
		}
	}
	sess.Close()
	if ctx.Err() != nil {
		return nil, "", fmt.Errorf("sshcfg: starting mosh-server on %s: %w", host, ctx.Err())
	}
	out := strings.ReplaceAll(buf.String(), "\r", "")
	var runErr error
	info := &ServerInfo{Host: host, IP: conn.RemoteIP}
	var other []string
	found := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, markDone):
			if st := strings.TrimSpace(strings.TrimPrefix(line, markDone)); st != "0" {
				runErr = fmt.Errorf("exit status %s", st)
			}
		case strings.HasPrefix(line, markSSHConnection):
			if f := strings.Fields(strings.TrimPrefix(line, markSSHConnection)); len(f) == 4 {
				info.SSHConnectionIP = net.ParseIP(strings.TrimPrefix(f[2], "::ffff:"))
			}
		case strings.HasPrefix(line, markNotFound):
			looked := strings.TrimPrefix(line, markNotFound)
			if req.Server == "" {
				looked += ", " + strings.Join(serverSearchDirs, ", ")
			}
			return nil, out, fmt.Errorf("%w on %s (looked in %s): install mosh or pass --server=PATH", ErrServerNotFound, host, looked)
		case strings.HasPrefix(line, "MOSH CONNECT "):
			port, key, err := ParseConnect(line)
			if err != nil {
				return nil, out, fmt.Errorf("sshcfg: mosh-server on %s printed a bad MOSH CONNECT line", host)
			}
			info.Port, info.Key, found = port, key, true
		case detachedRE.MatchString(line):
			info.PID, _ = strconv.Atoi(detachedRE.FindStringSubmatch(line)[1])
		default:
			other = append(other, line)
		}
	}
	if !found {
		msg := strings.Join(other, "; ")
		if msg == "" && runErr != nil {
			msg = runErr.Error()
		}
		return nil, out, fmt.Errorf("sshcfg: mosh-server on %s did not start: %s", host, msg)
	}
	if info.IP == nil {
		info.IP = info.SSHConnectionIP
	}
	if info.IP == nil {
		return nil, out, fmt.Errorf("sshcfg: no IP address known for %s: connect without a proxy or jump host", host)
	}
	if req.Notice != nil {
		for _, l := range other {
			if !isBannerLine(l) {
				req.Notice(l)
			}
		}
	}
	return info, out, nil
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
	for _, kv := range c.SetEnv {
		k, v, _ := strings.Cut(kv, "=")
		_ = sess.Setenv(k, v)
	}
	if len(c.SendEnv) == 0 {
		return
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		for _, pat := range c.SendEnv {
			if wildMatch(pat, k) {
				_ = sess.Setenv(k, v)
				break
			}
		}
	}
}

// KillServer stops a mosh-server that StartServer started, when the
// session could not take over (its pid must have been printed).
func KillServer(conn *Conn, info *ServerInfo) error {
	if info.PID <= 0 {
		return fmt.Errorf("sshcfg: pid of mosh-server on %s unknown: cannot stop it", info.Host)
	}
	sess, err := conn.Client.NewSession()
	if err != nil {
		return fmt.Errorf("sshcfg: %s: cannot open a session: %w", info.Host, err)
	}
	defer sess.Close()
	if out, err := sess.CombinedOutput("kill " + strconv.Itoa(info.PID)); err != nil {
		return fmt.Errorf("sshcfg: stopping mosh-server pid %d on %s: %w: %s", info.PID, info.Host, err, strings.TrimSpace(string(out)))
	}
	return nil
}
