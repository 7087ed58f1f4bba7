package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/forward"
	"github.com/ssh-mosh/ssh-mosh/internal/termcolors"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// udpGiveUp is how long the handover waits for the first authentic UDP
// reply before falling back to plain SSH: long enough for a slow link's
// first round trip and a retransmission, short enough not to strand the user.
const udpGiveUp = 4 * time.Second

// runRemote is `ssh-mosh [ssh flags] [user@]host [command]`.
func runRemote(o *Options, argv, args []string) int {
	stdinTTY := term.IsTerminal(int(os.Stdin.Fd()))
	stdoutTTY := term.IsTerminal(int(os.Stdout.Fd()))
	mode, why := Decide(o, args, stdinTTY, stdoutTTY)
	if o.Attach != "" && (mode == ModePassthrough || len(args) > 1) {
		return fail(fmt.Errorf("--attach runs a session: it needs a terminal, a destination and no command (%s)", why))
	}
	if mode == ModePassthrough {
		return passthrough(o, argv, args, why)
	}
	cfg, err := sshcfg.Resolve(o.CommandLine(), args[0])
	if err != nil {
		return failLog(o.clog, err)
	}
	if m, why := DecideConfig(cfg, len(args) > 1, o.TTY); m == ModePassthrough && o.Attach == "" {
		return passthrough(o, argv, args, why)
	}
	plan, err := planForwards(o, cfg)
	if errors.Is(err, forward.ErrNeedsOpenSSH) {
		return passthrough(o, argv, args, err.Error())
	}
	if err != nil {
		return failLog(o.clog, err)
	}
	cfg.Family = o.Family // which address the SSH connection, the UDP session and mosh-server use
	verbosef(o, "roaming session: %s", why)
	for _, w := range cfg.Warnings {
		o.clog.Prompter().Notice(w)
	}

	startNotice := &serverStartNotice{pass: func(msg string) { fmt.Fprintln(os.Stderr, msg) }}
	req, tmode, server, noFallback := sessionRequest(o, cfg, args, startNotice)
	if useMaster(o, cfg, plan, tmode) {
		if code, again := runViaMaster(o, cfg, args, req, tmode, server); !again {
			return code
		}
	}

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	conn, err := sshcfg.Dial(ctx, cfg, o.clog.Prompter())
	cancel()
	if err != nil {
		return failLog(o.clog, err)
	}
	closeConn := func() {
		if conn != nil {
			_ = conn.Close()
			conn = nil
		}
	}
	defer closeConn()
	if conn.HostKeyChanged {
		if code, stop := plan.cancelForUnsafeHostKey(cfg); stop {
			return code
		}
	}

	// Forwards ride a side connection the Link keeps alive and re-dials;
	// it is the SSH datagram path's too. Without forwards it exists only
	// for that path (below).
	var (
		side *sideLink
		fwd  *forwards
	)
	if !plan.empty() {
		side = newSideLink(conn)
		fwd, err = startForwards(side, plan, cfg.Host)
		if err != nil {
			side.stop()
			return failLog(o.clog, err)
		}
		defer func() {
			fwd.close(side.conn())
			side.stop()
			if conn != nil && side.conn() != conn {
				_ = side.conn().Close()
			}
		}()
	}

	if sock := fwd.authSock(); sock != "" {
		req.Env = []string{"SSH_AUTH_SOCK=" + sock}
	}
	if o.Attach != "" {
		var code int
		if req.Args, code = attachArgs(o, cfg, connRunner(conn)); code != 0 {
			return code
		}
	}
	startCtx, interrupted, stopInterrupts := interruptible(context.Background())
	info, err := sshcfg.StartServer(startCtx, conn, req)
	stopInterrupts()
	if st := interrupted(); st != 0 {
		if err == nil {
			_ = sshcfg.KillServer(conn, info)
		}
		return st
	}
	// A start that gave up (the remote printed too much or took too
	// long) would meet the same rc files in a plain shell: no fallback.
	if startErr := (*sshcfg.StartupError)(nil); errors.As(err, &startErr) {
		return failLog(o.clog, err)
	}
	if err != nil {
		if noFallback {
			return failLog(o.clog, err)
		}
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v — continuing with plain ssh\n", err)
		return plainShell(conn, args[1:])
	}
	verbosef(o, "%s", info)
	o.clog.Info("mosh-server started", "server", info)
	key, s, ok := sessionKeyAndSettings(o, cfg, info, func() { _ = sshcfg.KillServer(conn, info) })
	if !ok {
		return 255
	}

	var end sessionEnd
	fwd.setLive(true)
	if tmode == datapath.TransportUDP {
		addr := &net.UDPAddr{IP: info.IP, Port: info.Port}
		hooks := sessionHooks{
			onConnect:     closeConn, // the SSH connection is not needed once UDP works
			giveUp:        udpGiveUp,
			serverVersion: info.Version,
		}
		if side != nil {
			// Forwards ride it: it stays, and its re-dials may ask in
			// the bar.
			hooks.onConnect = nil
			hooks.status = func() string { return side.status(fwd.status) }
			hooks.statusChanged = side.changed
			hooks.prompts = side.prompts
		}
		end = runSessionWith(context.Background(), addr, key, s, hooks)
		if side != nil {
			conn = side.conn() // re-dialled ones included, for the fallback
		}
	} else if side != nil {
		end = runWithSSHPath(side, info, startNotice.Socket(), tmode, server, key, s, true, fwd.status)
		conn = side.conn() // re-dialled ones included, for the fallback
	} else {
		// The SSH connection stays: it carries the datagrams when UDP
		// does not get through, and is dialled again when it dies.
		side := newSideLink(conn)
		end = runWithSSHPath(side, info, startNotice.Socket(), tmode, server, key, s, false, nil)
		side.stop()
		conn = side.conn() // re-dialled ones included, for the fallback; closeConn closes it
	}
	fwd.setLive(false)
	if code, over := sessionOver(cfg, args[0], end, startNotice.Socket() != "" || info.Ours, false); over {
		return code
	}
	msg := fmt.Sprintf("Nothing received from %s on UDP port %d: a firewall probably drops it. Open UDP 60000-61000 "+
		"(e.g. `iptables -I INPUT -p udp --dport 60000:61000 -j ACCEPT`, `ufw allow 60000:61000/udp`)", cfg.Host, info.Port)
	_ = sshcfg.KillServer(conn, info)
	if noFallback {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %s\n", msg)
		return 255
	}
	fmt.Fprintf(os.Stderr, "ssh-mosh: %s — continuing with plain ssh\n", msg)
	return plainShell(conn, args[1:])
}

// sessionKeyAndSettings reads the session key the server printed and the
// client's settings; on a failure it says why, stops the server (kill) and
// reports false.
func sessionKeyAndSettings(o *Options, cfg *sshcfg.Config, info *sshcfg.ServerInfo, kill func()) (wire.Key, clientSettings, bool) {
	key, err := wire.ParseKey(info.Key)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: the server printed a bad key: %v\n", err)
		kill()
		return key, clientSettings{}, false
	}
	s, err := sessionSettings(o, cfg, info)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		kill()
		return key, s, false
	}
	return key, s, true
}

// sessionSettings are the client's settings for a session with the
// server info describes.
func sessionSettings(o *Options, cfg *sshcfg.Config, info *sshcfg.ServerInfo) (clientSettings, error) {
	s, err := settingsFromEnv(o.Predict)
	if err != nil {
		return s, err
	}
	s.overwrite = s.overwrite || o.PredictOverwrite
	s.noInit = s.noInit || o.NoInit
	s.sshMosh = true
	s.scrollback = max(o.Scrollback, 0)
	s.log = o.clog
	s.sshEscape = cfg.EscapeChar
	s.detachOnHangup = info.Ours
	return s, nil
}

// sessionRequest is what starts the session's server: the remote command
// (the command line's, else RemoteCommand), the transport and the server
// asked for (the command line over ssh_config), and whether a plain shell
// may stand in for a server that cannot start.
func sessionRequest(o *Options, cfg *sshcfg.Config, args []string, startNotice *serverStartNotice) (req sshcfg.ServerRequest, tmode datapath.TransportMode, server string, noFallback bool) {
	// ssh gives a remote command to the user's shell as one string;
	// mosh-server execs its command words directly, so wrap it the same way.
	// A RemoteCommand stands in for a command line without one
	// (DecideConfig let it through only with a terminal); --attach has
	// neither.
	line := strings.Join(args[1:], " ")
	if line == "" && o.Attach == "" {
		line = cfg.RemoteCommand
	}
	var command []string
	if line != "" {
		command = []string{"sh", "-c", `exec "${SHELL:-/bin/sh}" -c "$1"`, "sh", line}
	}
	// The command line wins over ssh_config's MoshTransport, MoshServer
	// and MoshFallback (both were validated).
	transport := o.Transport
	server = o.Server
	if transport == "" {
		transport = cfg.MoshTransport
	}
	if server == "" {
		server = cfg.MoshServer
	}
	// A plain shell is no substitute for the session asked for.
	noFallback = o.NoFallback || cfg.MoshFallback == "no" || o.Attach != ""
	tmode, _ = datapath.ParseTransportMode(transport)
	req = sshcfg.ServerRequest{
		Server:  server,
		Colors:  termcolors.Count(os.Getenv),
		UDPPort: o.UDPPort,
		Command: command,
		Term:    os.Getenv("TERM"),
		Notice:  startNotice.notice,
		Warn:    func(msg string) { fmt.Fprintf(os.Stderr, "ssh-mosh: %s\n", msg) },
	}
	if tmode != datapath.TransportUDP {
		// Ask our mosh-server for its unix socket (harmless to the stock
		// one, see sshcfg.UnixSocketVar).
		loc, msg := sshcfg.ServerLocale(os.LookupEnv)
		if msg != "" {
			fmt.Fprintf(os.Stderr, "ssh-mosh: %s\n", msg)
		}
		req.Locale = append(loc, sshcfg.UnixSocketVar+"=1")
	}
	return req, tmode, server, noFallback
}

// sessionOver reports how a session that ran ends the login: detached,
// the session left to the server under dest, or closed, with ssh's words
// and status (sessionClosed). over is false for a session that never
// connected: the caller falls back.
func sessionOver(cfg *sshcfg.Config, dest string, end sessionEnd, ourServer, shared bool) (code int, over bool) {
	switch {
	case end.detached:
		// Told on stderr, which outlives a closed terminal only when
		// redirected (SIGTERM, a log): the session waits on the host.
		fmt.Fprintf(os.Stderr, "\nssh-mosh: session left running on %s: `ssh-mosh --attach %s` takes it back\n", cfg.Host, dest)
		return end.code, true
	case end.connected:
		return sessionClosed(cfg, end, ourServer, shared), true
	}
	return 0, false
}

// sessionClosed prints what ssh prints when an interactive session ends and
// returns the status ssh would end with. Our server sends the program's
// exit status; when it ends the session without one (it was told to stop:
// SIGTERM, `--kill`, another client's `--attach`), that is ssh's "closed
// by remote host", status 255, shown at every LogLevel. The user's quit
// (Ctrl-^ .) keeps mosh-client's status 0, as the escape key is mosh's, and
// a stock mosh-server never sends a status, so its sessions keep mosh's 0.
// At LogLevel INFO and above ssh then says "Connection to host closed."
// (the host as it connected to it, after HostName), or, for a session
// through a master (shared), "Shared connection to host closed."
func sessionClosed(cfg *sshcfg.Config, end sessionEnd, ourServer, shared bool) int {
	code := end.code
	if end.byServer && ourServer {
		fmt.Fprintf(os.Stderr, "Connection to %s closed by remote host.\n", cfg.HostName)
		code = 255
	}
	if shared {
		if cfg.Logs("INFO") {
			fmt.Fprintf(os.Stderr, "Shared connection to %s closed.\n", cfg.HostName)
		}
		return code
	}
	sayClosed(cfg)
	return code
}

// sayClosed prints ssh's last line of an interactive session, an INFO one.
func sayClosed(cfg *sshcfg.Config) {
	if cfg.Logs("INFO") {
		fmt.Fprintf(os.Stderr, "Connection to %s closed.\n", cfg.HostName)
	}
}

// plainShell continues over the SSH connection already open: a remote
// shell (or command) on a pty, as `ssh -t` would give.
func plainShell(conn *sshcfg.Conn, command []string) int {
	code, err := sshcfg.InteractiveShell(context.Background(), conn, os.Getenv("TERM"), os.Stdin, os.Stdout, os.Stderr, strings.Join(command, " "))
	if err != nil {
		return fail(err)
	}
	sayClosed(conn.Config)
	return code
}

// passthrough hands the invocation to OpenSSH's ssh unchanged; without one,
// it runs a remote command in-process with ssh's streams and exit status.
func passthrough(o *Options, argv, args []string, why string) int {
	verbosef(o, "passthrough to OpenSSH ssh: %s", why)
	err := Passthrough(argv)
	if !errors.Is(err, sshcfg.ErrNoOpenSSH) {
		return failLog(o.clog, err)
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "ssh-mosh: OpenSSH's ssh is not installed, and this invocation needs it (install openssh-client)")
		return 255
	}
	verbosef(o, "OpenSSH ssh not found: running the command in-process")
	cfg, err := sshcfg.Resolve(o.CommandLine(), args[0])
	if err != nil {
		return failLog(o.clog, err)
	}
	conn, err := sshcfg.Dial(context.Background(), cfg, o.clog.Prompter())
	if err != nil {
		return failLog(o.clog, err)
	}
	defer conn.Close()
	code, err := sshcfg.RunCommand(context.Background(), conn, strings.Join(args[1:], " "), os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		return failLog(o.clog, err)
	}
	return code
}

// verbosef is what -v shows: on stderr, or in the log file with -E.
func verbosef(o *Options, format string, a ...any) {
	if o.clog != nil {
		o.clog.Debugf(format, a...)
		return
	}
	if o.Verbose > 0 {
		fmt.Fprintf(os.Stderr, "ssh-mosh: "+format+"\n", a...)
	}
}
