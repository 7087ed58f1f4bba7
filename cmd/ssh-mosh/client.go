package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/session"
	"github.com/ssh-mosh/ssh-mosh/term/overlay"
)

// clientSettings are the mosh-client environment variables (docs/PROTOCOL.md, Bootstrap).
type clientSettings struct {
	predict   overlay.DisplayPreference
	overwrite bool
	escape    session.EscapeKey
	noPrefix  bool
	noInit    bool
	// sshMosh: an ssh-mosh session (a destination, --local, --connect),
	// not the mosh-client drop-in: it asks our server for the program's
	// exit status, ends with it, and leaves the last screen in the
	// terminal (session.ClientConfig.SSHMosh).
	sshMosh bool
	// scrollback (with sshMosh) offers the scrollback extension
	// (session.ClientConfig.Scrollback); 0 = off.
	scrollback int
	// log is the client's log (-E); nil for mosh-client.
	log *clientLog
	// sshEscape is OpenSSH's escape character for a session ssh-mosh
	// logged in to (sshescape.None for mosh-client, --connect, --local).
	sshEscape int
	// detachOnHangup leaves the session to our server when the terminal
	// goes away (session.ClientConfig.DetachOnHangup).
	detachOnHangup bool
}

// settingsFromEnv reads MOSH_PREDICTION_DISPLAY, MOSH_PREDICTION_OVERWRITE,
// MOSH_ESCAPE_KEY, MOSH_TITLE_NOPREFIX and MOSH_NO_TERM_INIT. predictFlag,
// when set, overrides the environment (--predict).
func settingsFromEnv(predictFlag string) (clientSettings, error) {
	var s clientSettings
	p := os.Getenv("MOSH_PREDICTION_DISPLAY")
	if predictFlag != "" {
		p = predictFlag
	}
	var err error
	if s.predict, err = overlay.ParseDisplayPreference(p); err != nil {
		return s, err
	}
	s.overwrite = os.Getenv("MOSH_PREDICTION_OVERWRITE") == "yes"
	esc, set := os.LookupEnv("MOSH_ESCAPE_KEY")
	s.escape = session.ParseEscapeKey(esc, set)
	_, s.noPrefix = os.LookupEnv("MOSH_TITLE_NOPREFIX")
	_, s.noInit = os.LookupEnv("MOSH_NO_TERM_INIT")
	return s, nil
}

// takeKey reads the session key from MOSH_KEY and removes it from our
// environment, so no child process ever sees it.
func takeKey() (wire.Key, error) {
	v, ok := os.LookupEnv("MOSH_KEY")
	os.Unsetenv("MOSH_KEY")
	if !ok {
		return wire.Key{}, fmt.Errorf("MOSH_KEY environment variable not found")
	}
	k, err := wire.ParseKey(v)
	if err != nil {
		return wire.Key{}, fmt.Errorf("bad MOSH_KEY: %w", err)
	}
	return k, nil
}

// runSession runs the interactive client to server addr and prints mosh's
// closing messages. It ends as mosh-client 1.4 does: status 1 unless the
// shutdown was clean, and "[mosh is exiting.]" on stdout whatever happened.
func runSession(ctx context.Context, addr *net.UDPAddr, key wire.Key, s clientSettings, status func() string) int {
	end := runSessionWith(ctx, addr, key, s, sessionHooks{status: status, moshExit: true})
	fmt.Println("[mosh is exiting.]")
	return end.code
}

// sessionEnd is how a session ended: the status to exit with, whether the
// server was ever reached, and whether the server ended it cleanly without
// the program's exit status (it was told to stop, or it is a stock
// mosh-server, which never sends one).
type sessionEnd struct {
	code      int
	connected bool
	byServer  bool
	// detached: the client left the session running on the server.
	detached bool
}

// sessionHooks are what ssh-mosh adds to a plain mosh-client session.
type sessionHooks struct {
	status func() string
	// statusChanged says status may have a new text (nil: never).
	statusChanged <-chan struct{}
	onConnect     func()
	// prompts carries re-dial questions to the notification bar.
	prompts <-chan *session.Prompt
	// giveUp, when set, abandons a session that never connected after that
	// long, quietly: the caller falls back to plain SSH and says why.
	giveUp time.Duration
	// path, when set, carries the datagrams instead of a UDP socket to
	// addr (the caller closes it).
	path session.ClientPath
	// route names the datagrams' route for the status key (nil: UDP).
	route func() string
	// serverVersion is the server's version when known.
	serverVersion string
	// moshExit makes an unclean shutdown exit with status 1, as
	// mosh-client's `return !success` does.
	moshExit bool
}

// runSessionWith is runSession with hooks.
func runSessionWith(ctx context.Context, addr *net.UDPAddr, key wire.Key, s clientSettings, h sessionHooks) sessionEnd {
	path := h.path
	if path == nil {
		udp, err := roam.DialUDP(addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
			return sessionEnd{code: 1}
		}
		defer udp.Close()
		path = udp
	}
	session.OneProc()
	session.WarmHeap(4 << 20)
	traceLog, closeTrace, err := s.log.Session()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		return sessionEnd{code: 1}
	}
	defer closeTrace()
	s.log.Info("session started", "server", addr.String())
	res, err := session.RunClient(ctx, session.ClientConfig{
		Path:             path,
		Key:              key,
		Port:             addr.Port,
		In:               os.Stdin,
		Out:              os.Stdout,
		Term:             os.Getenv("TERM"),
		Escape:           s.escape,
		SSHEscape:        s.sshEscape,
		DetachOnHangup:   s.detachOnHangup,
		TitleNoPrefix:    s.noPrefix,
		NoTermInit:       s.noInit,
		Predict:          s.predict,
		PredictOverwrite: s.overwrite,
		Status:           h.status,
		StatusChanged:    h.statusChanged,
		Route:            h.route,
		ServerVersion:    h.serverVersion,
		OnConnect:        h.onConnect,
		GiveUpAfter:      h.giveUp,
		Prompts:          h.prompts,
		SSHMosh:          s.sshMosh,
		Scrollback:       s.scrollback,
		Log:              traceLog,
	})
	s.log.Info("session ended", "connected", res.Connected, "clean", res.Clean, "exited", res.Exited)
	if res.Detached && err == nil {
		// The terminal went away or we were told to stop: as ssh
		// killed by a signal, 255; the session stays for --attach.
		return sessionEnd{code: 255, connected: true, detached: true}
	}
	end := sessionEndOf(res, err, addr, h, s.log)
	if res.SSHEscapeQuit && err == nil {
		// "~.": ssh's status for a connection the user ended.
		end.code = 255
	}
	return end
}

// sessionEndOf is how a session that RunClient ran ends.
func sessionEndOf(res session.ClientResult, err error, addr *net.UDPAddr, h sessionHooks, log *clientLog) sessionEnd {
	if err != nil {
		log.Error(err)
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		return sessionEnd{code: 1, connected: res.Connected}
	}
	switch {
	case !res.Connected && h.giveUp > 0:
		return sessionEnd{code: 1}
	case !res.Connected:
		fmt.Fprintf(os.Stderr, "\nmosh did not make a successful connection to %s.\n", addr)
		fmt.Fprintf(os.Stderr, "Please verify that UDP port %d is not firewalled and can reach the server.\n\n", addr.Port)
		fmt.Fprintf(os.Stderr, "(By default, mosh uses a UDP port between 60000 and 61000. The -p option\nselects a specific UDP port number.)\n")
		return sessionEnd{code: 1}
	case !res.Clean:
		fmt.Fprintf(os.Stderr, "\n\nmosh did not shut down cleanly. Please note that the\nmosh-server process may still be running on the server.\n")
		if h.moshExit && !res.Exited {
			return sessionEnd{code: 1, connected: true}
		}
	}
	if res.Exited {
		// Our server told how the program ended: end as ssh would.
		return sessionEnd{code: session.SSHExitCode(res.Exit), connected: true}
	}
	return sessionEnd{connected: true, byServer: res.Clean && res.ServerEnded}
}

// parseHostPort accepts "IP PORT" (mosh-client's two arguments) or "IP:PORT".
func parseHostPort(args []string) (*net.UDPAddr, error) {
	var host, port string
	switch len(args) {
	case 1:
		h, p, err := net.SplitHostPort(args[0])
		if err != nil {
			return nil, fmt.Errorf("expected IP PORT or IP:PORT: %w", err)
		}
		host, port = h, p
	case 2:
		host, port = args[0], args[1]
	default:
		return nil, fmt.Errorf("expected IP PORT")
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil {
		return nil, fmt.Errorf("%q is not a numeric IP address", host)
	}
	for _, r := range port {
		if r < '0' || r > '9' {
			return nil, fmt.Errorf("bad UDP port %q", port)
		}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("bad UDP port %q", port)
	}
	return &net.UDPAddr{IP: ip, Port: n}, nil
}
