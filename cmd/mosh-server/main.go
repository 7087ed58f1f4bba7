// Command mosh-server is a drop-in for mosh 1.4's mosh-server: the same
// command line, the same `MOSH CONNECT <port> <key>` line on stdout, the same
// detach into the background. The real `mosh` wrapper, the real mosh-client
// and ssh-mosh use it unchanged.
//
// The parent binds the UDP socket, prints MOSH CONNECT, then re-executes
// itself as a daemon in a new session (setsid) that inherits the socket, and
// exits 0 after `[mosh-server detached, pid = N]`. The session key reaches the
// daemon through a pipe, never through argv or the environment.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/version"
)

// daemonEnv marks the re-executed daemon; its value is the fd of the pipe
// carrying daemonConfig.
const daemonEnv = "SSH_MOSH_SERVER_DAEMON"

// noClientTimeoutEnv is for tests only: a Go duration ("2s") replacing the
// 60 s after which a server that no client reached gives up, so the rule can
// be tested without waiting a minute. It is not part of mosh's interface
// and is removed from the application's environment.
const noClientTimeoutEnv = "SSH_MOSH_TEST_NO_CLIENT_TIMEOUT"

func main() {
	if os.Getenv(daemonEnv) != "" {
		os.Exit(runDaemon())
	}
	if len(os.Args) > 1 && os.Args[1] == relayCommand {
		os.Exit(runRelay(os.Args[2:]))
	}
	if status, ok := ctlCommand(os.Args[1:], os.Stdout, os.Stderr); ok {
		os.Exit(status)
	}
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

func printUsage(w io.Writer, argv0 string) {
	fmt.Fprintf(w, "Usage: %s new [-s] [-v] [-i LOCALADDR] [-p PORT[:PORT2]] [-c COLORS] [-l NAME=VALUE] [-- COMMAND...]\n", argv0)
}

// banner is what --version and the detach print, in mosh 1.4's shape:
// scripts read the mosh version from the first line's "(mosh 1.4.0)", and
// the "[build …]" slot, where mosh puts its git version, names ours and
// the protocol version spoken.
func banner() string {
	return fmt.Sprintf("mosh-server (mosh %s) [build ssh-mosh %s, protocol %d]\n", version.Mosh, version.String(), version.Protocol) +
		"Copyright 2012 Keith Winstein <mosh-devel@mit.edu>\n" +
		"License GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>.\n" +
		"This is free software: you are free to change and redistribute it.\n" +
		"There is NO WARRANTY, to the extent permitted by law.\n"
}

// daemonConfig is what the parent hands to the daemon over the pipe.
type daemonConfig struct {
	Key            string
	Width, Height  int
	Command        []string // argv; Command[0] is the path to exec
	Argv0          string   // argv[0] for the child ("-bash" for a login shell)
	Env            []string
	Dir            string
	Motd           bool
	Verbose        int
	NetworkTimeout time.Duration
	SignalTimeout  time.Duration
	// NoClientTimeout is 0 (the session's default) unless a test set
	// noClientTimeoutEnv.
	NoClientTimeout time.Duration
	// Scrollback is how many history lines the session keeps for a
	// client that offers the scrollback extension (0 = none).
	Scrollback int
	// UnixSocket is the unix socket file passed as fd 5 (empty Path when
	// none was asked for); the daemon removes it at the end if it is
	// still that file.
	UnixSocket socketFile
}

// parseTimeout reads MOSH_SERVER_NETWORK_TMOUT / MOSH_SERVER_SIGNAL_TMOUT
// (seconds), warning and ignoring bad values as mosh does.
func parseTimeout(name string, stderr io.Writer) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	var n int64
	if _, err := fmt.Sscan(v, &n); err != nil || strings.TrimSpace(v) != fmt.Sprint(n) {
		fmt.Fprintf(stderr, "%s not a valid integer, ignoring\n", name)
		return 0
	}
	if n < 0 {
		fmt.Fprintf(stderr, "%s is negative, ignoring\n", name)
		return 0
	}
	// mosh counts in 64-bit unsigned milliseconds, where a huge value means
	// "never"; a Duration would wrap instead (18446744074 s became 0.29 s),
	// so it is capped at the longest one, about 292 years.
	return time.Duration(min(n, math.MaxInt64/int64(time.Second))) * time.Second
}

func writeConfig(w io.Writer, c *daemonConfig) error {
	return json.NewEncoder(w).Encode(c)
}

func readConfig(r io.Reader) (*daemonConfig, error) {
	var c daemonConfig
	if err := json.NewDecoder(r).Decode(&c); err != nil {
		return nil, fmt.Errorf("mosh-server: reading daemon configuration: %w", err)
	}
	return &c, nil
}
