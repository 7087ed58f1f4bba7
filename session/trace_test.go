package session

import (
	"bytes"
	"log/slog"
	"regexp"
	"strconv"
	"testing"
)

// TestTracerBuffersUntilFlush: stages wait in memory and reach the log at
// flush (or when the buffer fills), in order, each with its own
// CLOCK_MONOTONIC time; a tracer whose logger drops debug records keeps
// nothing.
func TestTracerBuffersUntilFlush(t *testing.T) {
	var out bytes.Buffer
	tr := newTracer(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	before := MonotonicNanos()
	tr.mark(TraceStdin, 1)
	tr.mark(TraceSend, 90)
	if out.Len() != 0 {
		t.Fatalf("logged before the flush: %q", out.String())
	}
	tr.flush()
	after := MonotonicNanos()
	re := regexp.MustCompile(`msg=trace stage=(\S+) bytes=(\d+) mono=(\d+)`)
	ms := re.FindAllStringSubmatch(out.String(), -1)
	if len(ms) != 2 || ms[0][1] != TraceStdin || ms[1][1] != TraceSend || ms[1][2] != "90" {
		t.Fatalf("flushed %q", out.String())
	}
	prev := before
	for _, m := range ms {
		mono, _ := strconv.ParseInt(m[3], 10, 64)
		// The Go clock and CLOCK_MONOTONIC agree within a few µs.
		if mono < prev-50_000 || mono > after+50_000 {
			t.Errorf("mono %d outside [%d, %d]", mono, prev, after)
		}
		prev = mono
	}
	for range traceBuffer + 1 {
		tr.mark(TraceDraw, 1)
	}
	if n := bytes.Count(out.Bytes(), []byte("stage=draw")); n != traceBuffer {
		t.Errorf("%d stages logged when the buffer filled, want %d", n, traceBuffer)
	}

	off := newTracer(slog.New(slog.DiscardHandler))
	off.mark(TraceStdin, 1)
	if len(off.recs) != 0 {
		t.Error("a tracer that is off kept a stage")
	}
}
