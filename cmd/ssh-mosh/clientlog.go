package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ssh-mosh/ssh-mosh/session"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// clientLog is the client's log. With -E FILE or --log FILE (ssh's -E:
// append the log to a file instead of stderr) every record goes to the file
// as a timestamped slog text line: what -v prints ("roaming session",
// "passthrough to OpenSSH ssh", the server started), the SSH login's
// notices (host keys, as ssh logs them), the session's own records and
// the errors the program ends with. Without it, -v lines go to stderr as
// before and the session logs nowhere (unless session.TraceEnv asks).
//
// Verbosity is -v's: INFO and up without it, DEBUG with -v; the session's
// per-keystroke trace records only from -vvv, so that -v stays readable.
type clientLog struct {
	file    *os.File     // nil: no -E
	log     *slog.Logger // nil: no -E
	verbose int
}

// openClientLog opens the -E/--log file for appending (created 0600, as
// ssh creates it). The caller closes the log.
func openClientLog(o *Options) (*clientLog, error) {
	l := &clientLog{verbose: o.Verbose}
	if o.LogFile == "" {
		return l, nil
	}
	f, err := os.OpenFile(o.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open log file: %w", err)
	}
	level := slog.LevelInfo
	if o.Verbose > 0 {
		level = slog.LevelDebug
	}
	h := slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})
	l.file = f
	l.log = slog.New(&traceFilter{Handler: h, traces: o.Verbose >= 3}).With("pid", os.Getpid())
	return l, nil
}

// Close closes the file, if any.
func (l *clientLog) Close() {
	if l != nil && l.file != nil {
		_ = l.file.Close()
	}
}

// Debugf is what -v shows: to the log file with -E, else to stderr.
func (l *clientLog) Debugf(format string, a ...any) {
	switch {
	case l == nil:
	case l.log != nil:
		l.log.Debug(fmt.Sprintf(format, a...))
	case l.verbose > 0:
		fmt.Fprintf(os.Stderr, "ssh-mosh: "+format+"\n", a...)
	}
}

// Info records an event in the log file (nothing without -E).
func (l *clientLog) Info(msg string, args ...any) {
	if l != nil && l.log != nil {
		l.log.Info(msg, args...)
	}
}

// Error records the error the program reports (nothing without -E; the
// terminal gets it from fail either way).
func (l *clientLog) Error(err error) {
	if l != nil && l.log != nil {
		l.log.Error(err.Error())
	}
}

// Session is the logger for session.ClientConfig.Log: the log file, else
// the trace file of session.TraceEnv, else none. close releases the latter.
func (l *clientLog) Session() (log *slog.Logger, closeLog func(), err error) {
	if l != nil && l.log != nil {
		return l.log.With("part", "session"), func() {}, nil
	}
	return session.TraceLogFromEnv()
}

// Prompter is the SSH login's prompter: the terminal, with its notices
// (host keys, warnings) in the log file under -E, as ssh logs them.
func (l *clientLog) Prompter() sshcfg.Prompter {
	if l == nil || l.log == nil {
		return &sshcfg.TerminalPrompter{}
	}
	return logPrompter{TerminalPrompter: &sshcfg.TerminalPrompter{}, log: l.log}
}

type logPrompter struct {
	*sshcfg.TerminalPrompter
	log *slog.Logger
}

// Notice implements sshcfg.Prompter.
func (p logPrompter) Notice(msg string) {
	p.log.Info(strings.TrimRight(msg, "\n"), "part", "ssh")
}

// traceFilter drops the session's per-keystroke "trace" records unless
// traces is set.
type traceFilter struct {
	slog.Handler
	traces bool
}

func (h *traceFilter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "trace" && !h.traces {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h *traceFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return &traceFilter{Handler: h.Handler.WithAttrs(as), traces: h.traces}
}

func (h *traceFilter) WithGroup(name string) slog.Handler {
	return &traceFilter{Handler: h.Handler.WithGroup(name), traces: h.traces}
}
