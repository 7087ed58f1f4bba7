package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ssh-mosh/ssh-mosh/internal/termcolors"
	"github.com/ssh-mosh/ssh-mosh/internal/version"
)

// moshClientVersion is mosh-client's first --version line, our version
// in its "[build …]" slot.
func moshClientVersion() string {
	return fmt.Sprintf("mosh-client (mosh %s) [build ssh-mosh %s, protocol %d]", version.Mosh, version.String(), version.Protocol)
}

// moshClientMain is mosh-client 1.4's command line:
// `mosh-client [-# 'ARGS'] [-v] IP PORT`, `mosh-client -c`, with the key in
// MOSH_KEY. The real `mosh` wrapper runs it as --client.
func moshClientMain(args []string) int {
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--help" || a == "-h":
			fmt.Println("Usage: mosh-client [-# 'ARGS'] IP PORT\n       mosh-client -c")
			return 0
		case a == "--version":
			fmt.Println(moshClientVersion())
			return 0
		case a == "-c":
			fmt.Println(termcolors.Count(os.Getenv))
			return 0
		case a == "-#":
			i++ // the original mosh arguments, for display only
		case len(a) > 2 && a[:2] == "-#":
		case a == "-v":
		default:
			rest = append(rest, a)
		}
	}
	addr, err := parseHostPort(rest)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mosh-client: %v\nUsage: mosh-client [-# 'ARGS'] IP PORT\n", err)
		return 1
	}
	key, err := takeKey()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mosh-client: %v\n", err)
		return 1
	}
	s, err := settingsFromEnv("")
	if err != nil {
		fmt.Fprintf(os.Stderr, "mosh-client: %v\n", err)
		return 1
	}
	return runSession(context.Background(), addr, key, s, nil)
}

// runConnect is `ssh-mosh --connect IP PORT` (or --connect IP:PORT), the
// mosh-client mode under our own name.
func runConnect(o *Options, args []string) int {
	hp := append([]string{o.Connect}, args...)
	addr, err := parseHostPort(hp)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: --connect: %v\n", err)
		return 1
	}
	key, err := takeKey()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		return 1
	}
	s, err := settingsFromEnv(o.Predict)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		return 1
	}
	if o.PredictOverwrite {
		s.overwrite = true
	}
	if o.NoInit {
		s.noInit = true
	}
	s.sshMosh = true
	s.scrollback = max(o.Scrollback, 0)
	s.log = o.clog
	return runSession(context.Background(), addr, key, s, nil)
}
