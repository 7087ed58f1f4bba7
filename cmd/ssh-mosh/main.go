// Command ssh-mosh is ssh with mosh's roaming and local echo:
//
//	ssh-mosh [ssh flags] [user@]host [command]
//
// It reads the ssh configuration, connects in-process, starts mosh-server on
// the host and moves the session to roaming UDP. Anything that is not an
// interactive login is handed to OpenSSH's ssh unchanged, so
// `alias ssh=ssh-mosh` is safe. Invoked as mosh-client (through a symlink)
// or with --connect, it is a drop-in for mosh 1.4's mosh-client; with
// --local it runs a server and a client on this machine.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ssh-mosh/ssh-mosh/internal/vis"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

func main() {
	if filepath.Base(os.Args[0]) == "mosh-client" {
		os.Exit(moshClientMain(os.Args[1:]))
	}
	os.Exit(run(os.Args))
}

// exitError carries an exit status through cobra.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func run(argv []string) int {
	var o Options
	var extra *extraFlags // --version, --completion (extraflags.go)
	cmd := &cobra.Command{
		Use:   "ssh-mosh [ssh flags] [user@]host [command...]",
		Short: "ssh with mosh's roaming and local echo",
		Long: "ssh-mosh connects wherever `ssh host` connects, with the same configuration, then moves an\n" +
			"interactive session to mosh's roaming UDP transport with predictive local echo. Anything\n" +
			"else (a remote command, pipes, forwarding, scp/rsync/git) runs through OpenSSH's ssh unchanged.",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			args, err := o.ParseAfterDestination(cmd.Flags(), args, cmd.ArgsLenAtDash())
			if err != nil {
				return sshFlagError(err)
			}
			if code, done := extra.run(cmd.Flags(), os.Stdout, os.Stderr); done {
				return exitError{code}
			}
			code := dispatch(&o, argv, args)
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return sshFlagError(err) })
	cmd.Flags().SetInterspersed(false)
	o.AddFlags(cmd.Flags())
	extra = addExtraFlags(cmd)
	cmd.SetArgs(argv[1:])
	if err := cmd.Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return fail(err)
	}
	return 0
}

// pflag's words for a bad option, and OpenSSH's (getopt's) for the same.
var (
	unknownShort  = regexp.MustCompile(`^unknown shorthand flag: '(.)' in -`)
	unknownLong   = regexp.MustCompile(`^unknown flag: (--\S+)`)
	needsArgShort = regexp.MustCompile(`^flag needs an argument: '(.)' in -`)
	needsArgLong  = regexp.MustCompile(`^flag needs an argument: (--\S+)`)
	// pflag wraps what a flag's value refused: "invalid argument "V" for
	// "-p, --ssh-port" flag: E" (or "--name" alone for ours).
	badValue = regexp.MustCompile(`^invalid argument "((?:[^"\\]|\\.)*)" for "(?:-(.), )?(--[\w-]+)" flag: (.*)$`)
)

// sshFlagError words a command-line error as OpenSSH does where it has
// words for it ("unknown option -- Z"); other errors pass unchanged.
func sshFlagError(err error) error {
	msg := err.Error()
	for _, r := range []struct {
		re     *regexp.Regexp
		format string
	}{
		{unknownShort, "unknown option -- %s"},
		{unknownLong, "unknown option %s"},
		{needsArgShort, "option requires an argument -- %s"},
		{needsArgLong, "option requires an argument %s"},
	} {
		if m := r.re.FindStringSubmatch(msg); m != nil {
			return &optionError{msg: fmt.Sprintf(r.format+" (see ssh-mosh --help)", m[1]), err: err}
		}
	}
	if m := badValue.FindStringSubmatch(msg); m != nil {
		if m[2] != "" {
			// An ssh flag: its value's error is already in ssh's words
			// ("Bad port 'x'").
			return &optionError{msg: m[4], err: err}
		}
		value, uerr := strconv.Unquote(`"` + m[1] + `"`)
		if uerr != nil {
			value = m[1]
		}
		return &optionError{msg: fmt.Sprintf("%s=%s: %s", m[3], value, m[4]), err: err}
	}
	return err
}

// optionError is a command-line error in OpenSSH's words; it wraps
// pflag's.
type optionError struct {
	msg string
	err error
}

func (e *optionError) Error() string { return e.msg }
func (e *optionError) Unwrap() error { return e.err }

// fail reports err as ssh does, in one line with one "ssh-mosh: " prefix,
// and returns ssh's status for it: 130 when the user pressed Ctrl-C at a
// prompt (nothing more is said, as with ssh), 255 for everything else. An
// error may carry text from the command line, a config file, the server or
// another program: it is shown on one line with control characters escaped,
// as OpenSSH escapes what it logs.
func fail(err error) int {
	return failLog(nil, err)
}

// failLog is fail that also records err in the client's log (-E).
func failLog(lg *clientLog, err error) int {
	lg.Error(err)
	if errors.Is(err, sshcfg.ErrInterrupted) {
		return 130
	}
	if de := (*sshcfg.DialError)(nil); errors.As(err, &de) && de.Quiet {
		return 255
	}
	fmt.Fprintf(os.Stderr, "ssh-mosh: %s\n", vis.OneLine(err.Error()))
	return 255
}

// dispatch picks the mode: --local, --connect, or a destination.
func dispatch(o *Options, argv, args []string) int {
	if err := o.Validate(); err != nil {
		return fail(err)
	}
	lg, err := openClientLog(o)
	if err != nil {
		return fail(err)
	}
	defer lg.Close()
	o.clog = lg
	switch {
	case o.Local:
		return runLocal(o, args)
	case o.Connect != "":
		return runConnect(o, args)
	case o.Sessions || o.Kill != "":
		return runControlCommand(o, args)
	}
	return runRemote(o, argv, args)
}
