package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// Re-attaching: our mosh-server keeps a control socket per session
// (cmd/mosh-server/control.go) that a later login of the same user
// reaches through its sub-commands, run over SSH: `sessions` lists,
// `attach [ID]` takes a session over with a fresh key and prints an
// ordinary MOSH CONNECT line, `kill ID` ends one.

// attachDetached is --attach without a value: the one detached session.
const attachDetached = "detached"

func isSessionID(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && strconv.Itoa(n) == s
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// remoteSession is one line of `mosh-server sessions`.
type remoteSession struct {
	ID       string
	Detached bool
	Line     string
}

// parseSessions reads `mosh-server sessions`: a header starting with
// "ID", then one session a line, tab-separated, the ID first and the
// state second.
func parseSessions(out []byte) []remoteSession {
	var ss []remoteSession
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimRight(l, "\r"), "\t")
		if len(f) < 2 || !isSessionID(f[0]) {
			continue
		}
		ss = append(ss, remoteSession{ID: f[0], Detached: f[1] == "detached", Line: l})
	}
	return ss
}

// writeSessions shows a listing of `mosh-server sessions` on stdout, its
// columns aligned when stdout is a terminal: the columns are
// tab-separated, for scripts (and ssh-mosh itself) to parse, and at a
// terminal's 8-column tab stops the states and times fell out of line
// under their headings. Output that is not such a listing (a stock
// mosh-server's complaint) passes unchanged.
func writeSessions(out []byte) { writeSessionsTo(os.Stdout, out, term.IsTerminal(int(os.Stdout.Fd()))) }

func writeSessionsTo(w io.Writer, out []byte, align bool) {
	if !align || !bytes.HasPrefix(out, []byte("ID\t")) || bytes.ContainsAny(out, "\x1b\r") {
		_, _ = w.Write(out)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	_, _ = tw.Write(out)
	_ = tw.Flush()
}

// remoteRunner runs a command on the host without a terminal and returns
// its exit status: on our own connection (connRunner) or through a master
// (sshcfg.MuxStarter.RunCommand).
type remoteRunner func(ctx context.Context, command string, stdout, stderr io.Writer) (int, error)

func connRunner(conn *sshcfg.Conn) remoteRunner {
	return func(ctx context.Context, command string, stdout, stderr io.Writer) (int, error) {
		return sshcfg.RunCommand(ctx, conn, command, strings.NewReader(""), stdout, stderr)
	}
}

// serverFor is --server, else ssh_config's MoshServer.
func serverFor(o *Options, cfg *sshcfg.Config) string {
	if o.Server != "" {
		return o.Server
	}
	return cfg.MoshServer
}

// runControlCommand is `ssh-mosh --sessions host` and `--kill=ID host`:
// log in as for a session, run the sub-command, pass its output and exit
// status on. No terminal is needed.
func runControlCommand(o *Options, args []string) int {
	if len(args) != 1 {
		return fail(fmt.Errorf("--sessions and --kill take a destination and no command"))
	}
	cfg, err := sshcfg.Resolve(o.CommandLine(), args[0])
	if err != nil {
		return failLog(o.clog, err)
	}
	cfg.Family = o.Family
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer cancel()
	var run remoteRunner
	if masterAnswers(o, cfg) {
		run = sshcfg.MuxStarter{Config: cfg}.RunCommand
	} else {
		conn, err := sshcfg.Dial(ctx, cfg, o.clog.Prompter())
		if err != nil {
			return failLog(o.clog, err)
		}
		defer conn.Close()
		run = connRunner(conn)
	}
	sub := []string{"sessions"}
	if o.Kill != "" {
		sub = []string{"kill", o.Kill}
	}
	var out bytes.Buffer
	code, err := run(ctx, sshcfg.ServerCommand(serverFor(o, cfg), sub), &out, os.Stderr)
	writeSessions(out.Bytes())
	if err != nil {
		return failLog(o.clog, err)
	}
	return code
}

// attachArgs chooses the session --attach takes over: the ID given, or
// the one detached session, which needs a listing first. A non-zero
// status means the user must choose (the reason is printed).
func attachArgs(o *Options, cfg *sshcfg.Config, run remoteRunner) ([]string, int) {
	if o.Attach != attachDetached {
		return []string{"attach", o.Attach}, 0
	}
	var out, errb bytes.Buffer
	code, err := run(context.Background(), sshcfg.ServerCommand(serverFor(o, cfg), []string{"sessions"}), &out, &errb)
	if err != nil {
		return nil, failLog(o.clog, err)
	}
	if code != 0 {
		os.Stderr.Write(errb.Bytes())
		fmt.Fprintf(os.Stderr, "ssh-mosh: listing the sessions on %s failed (exit status %d): does --server name ssh-mosh's mosh-server?\n", cfg.Host, code)
		return nil, code
	}
	all := parseSessions(out.Bytes())
	var detached []remoteSession
	for _, s := range all {
		if s.Detached {
			detached = append(detached, s)
		}
	}
	switch len(detached) {
	case 1:
		return []string{"attach", detached[0].ID}, 0
	case 0:
		if len(all) == 1 && !cfg.BatchMode {
			// The one session still counts as attached: its client
			// may have just gone (a terminal closed seconds ago) or
			// be running elsewhere. Ask, as ssh asks about a host key.
			q := fmt.Sprintf("Session %s on %s still counts as attached (its client was heard within 10 seconds).\nTake it over, shutting that client out (yes/no)? ", all[0].ID, cfg.Host)
			ans, err := o.clog.Prompter().Prompt(q, true)
			switch {
			case err == nil && strings.EqualFold(strings.TrimSpace(ans), "yes"):
				return []string{"attach", all[0].ID}, 0
			case errors.Is(err, sshcfg.ErrInterrupted):
				return nil, 130
			}
		}
		if len(all) > 0 {
			fmt.Fprintf(os.Stderr, "ssh-mosh: no detached session on %s; %d attached (take one over with --attach=ID):\n", cfg.Host, len(all))
			writeSessions(out.Bytes())
		} else {
			fmt.Fprintf(os.Stderr, "ssh-mosh: no session to attach to on %s\n", cfg.Host)
		}
		return nil, 1
	}
	fmt.Fprintf(os.Stderr, "ssh-mosh: %d detached sessions on %s: choose one with --attach=ID\n", len(detached), cfg.Host)
	writeSessions(out.Bytes())
	return nil, 1
}
