package main

import (
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ssh-mosh/ssh-mosh/internal/version"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// extraFlags are ssh-mosh's informational options: --version,
// --completion=SHELL, and the hidden --complete-hosts that the completion
// scripts call. They are options, never words: `ssh-mosh completion` or
// `ssh-mosh version` still connects to a host of that name, so
// `alias ssh=ssh-mosh` stays safe. (-V is ssh's and goes to OpenSSH.)
type extraFlags struct {
	version       bool
	completion    string
	completeHosts bool
}

// addExtraFlags registers the informational options on cmd, and turns off
// cobra's own `completion` subcommand, which would take `ssh-mosh
// completion` away from a host of that name. (cobra also answers its
// hidden `__complete` word; a host called that is reached with
// `ssh-mosh -- __complete`.)
func addExtraFlags(cmd *cobra.Command) *extraFlags {
	cmd.CompletionOptions.DisableDefaultCmd = true
	fs := cmd.Flags()
	x := &extraFlags{}
	fs.BoolVar(&x.version, "version", false, "print ssh-mosh's version and the mosh protocol it speaks, then exit")
	fs.StringVar(&x.completion, "completion", "", "print a completion script for bash, zsh or fish, then exit")
	fs.BoolVar(&x.completeHosts, "complete-hosts", false, "print the host names completion offers, then exit")
	_ = fs.MarkHidden("complete-hosts")
	return x
}

// run carries out an informational option given on the command line; done
// reports whether there was one (then the program ends with code).
func (x *extraFlags) run(fs *pflag.FlagSet, stdout, stderr io.Writer) (code int, done bool) {
	switch {
	case x.version:
		fmt.Fprint(stdout, versionText())
	case x.completion != "":
		if err := writeCompletion(stdout, x.completion, completionOptions(fs)); err != nil {
			fmt.Fprintf(stderr, "ssh-mosh: %v\n", err)
			return 255, true
		}
	case x.completeHosts:
		home, err := os.UserHomeDir()
		if err != nil {
			return 1, true
		}
		for _, h := range sshcfg.CompletionHosts(sshcfg.DefaultHostSources(home)) {
			fmt.Fprintln(stdout, h)
		}
	default:
		return 0, false
	}
	return 0, true
}

// versionText is --version's output. Scripts read the version as the
// second word of the first line.
func versionText() string {
	return fmt.Sprintf("ssh-mosh %s\nmosh %s compatible, mosh protocol version %d; built with %s for %s/%s\n",
		version.String(), version.Mosh, version.Protocol, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
