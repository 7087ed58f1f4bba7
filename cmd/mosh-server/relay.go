package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/ssh-mosh/ssh-mosh/datapath"
)

// relayCommand is the hidden sub-command ssh-mosh runs over an SSH exec
// channel when this binary is the remote mosh-server but its unix socket
// is not available (a server started without it, or by the real mosh):
// `mosh-server relay HOST PORT` forwards frames on stdin/stdout to that one
// UDP port (datapath.RunRelay). The word cannot clash with mosh's command
// line: `new` or an IP address come first there.
const relayCommand = "relay"

// runRelay is `mosh-server relay HOST PORT`.
func runRelay(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mosh-server relay HOST PORT")
		return 2
	}
	port, err := strconv.Atoi(args[1])
	if err != nil || port <= 0 || port > 65535 {
		fmt.Fprintf(os.Stderr, "mosh-server relay: bad port %q\n", args[1])
		return 2
	}
	ip := net.ParseIP(args[0])
	if ip == nil {
		fmt.Fprintf(os.Stderr, "mosh-server relay: %q is not an IP address\n", args[0])
		return 2
	}
	if err := datapath.RunRelay(context.Background(), os.Stdin, os.Stdout, &net.UDPAddr{IP: ip, Port: port}, datapath.RelayIdle); err != nil {
		fmt.Fprintf(os.Stderr, "mosh-server relay: %v\n", err)
		return 1
	}
	return 0
}
