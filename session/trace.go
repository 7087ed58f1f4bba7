package session

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

// Trace stages: where a keystroke and its echo are on their way from the
// user's terminal to the server's pty and back. Each is logged at debug
// level as msg "trace" with the stage, a byte count and "mono", the
// system-wide monotonic clock in nanoseconds, so the lines of a client and
// a server on one machine can be put on one time line.
const (
	TraceStdin    = "stdin"     // client: typed bytes reached the loop
	TraceSend     = "send"      // a datagram left (client or server)
	TraceRecv     = "recv"      // an authentic datagram arrived (client or server)
	TracePtyWrite = "pty-write" // server: keys written to the pty
	TracePtyRead  = "pty-read"  // server: application output reached the loop
	TraceDraw     = "draw"      // client: a screen update was written to the terminal
)

// tracer logs trace stages when its logger takes debug records, and costs
// one branch otherwise.
type tracer struct {
	log *slog.Logger
	on  bool
}

func newTracer(log *slog.Logger) tracer {
	return tracer{log: log, on: log.Enabled(context.Background(), slog.LevelDebug)}
}

func (t tracer) mark(stage string, n int) {
	if !t.on {
		return
	}
	t.log.LogAttrs(context.Background(), slog.LevelDebug, "trace",
		slog.String("stage", stage), slog.Int("bytes", n), slog.Int64("mono", MonotonicNanos()))
}

// MonotonicNanos reads CLOCK_MONOTONIC, which every process on the machine
// shares (Go's own monotonic reading is private to the process).
func MonotonicNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// TraceEnv names the environment variable that turns the trace on: its
// value is a file to which the trace (and every other debug record) is
// appended. Benchmarks set it to see where a keystroke's time goes.
const TraceEnv = "SSH_MOSH_TRACE"

// TraceLogFromEnv returns a debug logger writing to the file named by
// TraceEnv, and a function that closes the file; nil when TraceEnv is unset.
func TraceLogFromEnv() (*slog.Logger, func(), error) {
	name := os.Getenv(TraceEnv)
	if name == "" {
		return nil, func() {}, nil
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, func() {}, fmt.Errorf("trace file (%s): %w", TraceEnv, err)
	}
	log := slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return log, func() { _ = f.Close() }, nil
}
