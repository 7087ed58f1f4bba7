package main

import (
	"fmt"
	"os"

	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// runRemote is `ssh-mosh [ssh flags] [user@]host [command]`.
func runRemote(o *sshcfg.Options, argv, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: ssh-mosh [ssh flags] [user@]host [command...]   (or --local, --connect IP PORT)")
		return 255
	}
	fmt.Fprintln(os.Stderr, "ssh-mosh: remote sessions are not wired up yet")
	return 255
}
