package session

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Trace stages: where a keystroke and its echo are on their way from the
// user's terminal to the server's pty and back. Each is logged at debug
// level as msg "trace" with the stage, a byte count and "mono", the
// system-wide monotonic clock in nanoseconds, so the lines of a client and
// a server on one machine can be put on one time line.
const (
	TraceStdin    = "stdin"     // client: typed bytes reached the loop
	TraceSealed   = "sealed"    // a datagram is built and goes to the path (client or server)
	TraceSend     = "send"      // a datagram left (client or server)
	TraceArrived  = "arrived"   // a datagram reached the loop, not yet decrypted (client or server)
	TraceRecv     = "recv"      // an authentic datagram arrived (client or server)
	TraceKeys     = "keys"      // server: keys decoded, about to be written to the pty
	TracePtyWrite = "pty-write" // server: keys written to the pty
	TracePtyRead  = "pty-read"  // server: application output reached the loop
	TraceFramed   = "framed"    // client: a screen update is computed, about to be written
	TraceDraw     = "draw"      // client: a screen update was written to the terminal
)

// tracer records trace stages when its logger takes debug records, and
// costs one branch otherwise. The records wait in memory and reach the
// logger when the buffer fills and when the session loop ends (flush): a
// log write per stage would cost more than some of the stages it times.
type tracer struct {
	log *slog.Logger
	on  bool
	// base and baseMono are one reading of Go's clock and of
	// CLOCK_MONOTONIC: a stage's time is baseMono plus the Go clock's
	// advance since base, which costs no system call.
	base     time.Time
	baseMono int64
	recs     []traceRec
}

type traceRec struct {
	stage string
	n     int
	mono  int64
}

// traceBuffer is how many stages wait in memory before a flush.
const traceBuffer = 1 << 14

func newTracer(log *slog.Logger) *tracer {
	t := &tracer{log: log, on: log.Enabled(context.Background(), slog.LevelDebug)}
	if t.on {
		t.base, t.baseMono = time.Now(), MonotonicNanos()
		t.recs = make([]traceRec, 0, traceBuffer)
	}
	return t
}

func (t *tracer) mark(stage string, n int) {
	if !t.on {
		return
	}
	if len(t.recs) == cap(t.recs) {
		t.flush()
	}
	t.recs = append(t.recs, traceRec{stage, n, t.baseMono + int64(time.Since(t.base))})
}

// flush logs the records waiting in memory.
func (t *tracer) flush() {
	for _, r := range t.recs {
		t.log.LogAttrs(context.Background(), slog.LevelDebug, "trace",
			slog.String("stage", r.stage), slog.Int("bytes", r.n), slog.Int64("mono", r.mono))
	}
	t.recs = t.recs[:0]
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
