package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// floodBytes is the size of the benchmark's output: 50 MB of coloured
// `ls -l`-like lines.
const floodBytes = 50 << 20

// floodTimeout bounds one flood; the real server needs about 4 s.
const floodTimeout = 5 * time.Minute

// writeFloodFile writes floodBytes of `ls --color -l`-like lines: mode,
// links, owner, size, date, and a name in a colour that changes line by line.
// It returns the file's path and the name on its last line.
func writeFloodFile(tb testing.TB) (path, last string) {
	tb.Helper()
	path = filepath.Join(tb.TempDir(), "flood.txt")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	colours := []string{"01;34", "01;32", "01;36", "00", "01;35", "40;33;01", "01;31"}
	modes := []string{"drwxr-xr-x", "-rwxr-xr-x", "lrwxrwxrwx", "-rw-r--r--", "-rw-------"}
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	n := 0
	for i := 0; n < floodBytes; i++ {
		last = fmt.Sprintf("entry-%06d.%s", i, []string{"go", "txt", "c", "md"}[i%4])
		line := fmt.Sprintf("%s %2d root staff %9d %s %2d %02d:%02d \x1b[%sm%s\x1b[0m\n",
			modes[i%len(modes)], 1+i%9, (i*7919)%100000000, months[i%12], 1+i%28, i%24, i%60,
			colours[i%len(colours)], last)
		k, err := w.WriteString(line)
		if err != nil {
			tb.Fatal(err)
		}
		n += k
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, last
}

// procUsage is a process's CPU time (user+system, all threads) and peak
// resident set (VmHWM).
type procUsage struct {
	cpu   time.Duration
	hwmKB int
}

// clockTick is the unit of /proc/PID/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

func readUsage(tb testing.TB, pid int) procUsage {
	tb.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Fatalf("reading the server's stat: %v", err)
	}
	// The command name may hold spaces; fields resume after its ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	// fields[0] is field 3 (state): utime is field 14, stime field 15.
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("bad stat line %q", stat)
	}
	u := procUsage{cpu: time.Duration(utime+stime) * clockTick}
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatalf("reading the server's status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			u.hwmKB, _ = strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return u
}

// floodResult is one server's cost for one flood.
type floodResult struct {
	cpu  time.Duration // server CPU during the flood
	wall time.Duration // from typing the command to the marker on the client's screen
	hwm  int           // peak RSS of the server process, kB
}

// add sums the times of r and o, and keeps the higher peak.
func (r *floodResult) add(o floodResult) {
	r.cpu += o.cpu
	r.wall += o.wall
	r.hwm = max(r.hwm, o.hwm)
}

// flood runs `cat file` through a server (ours or the real one) to the real
// mosh-client in tmux, and measures the server process.
// The client's screen must end with the file's last line, then the marker.
func flood(b *testing.B, file, last string, realServer bool, ourClient ...string) floodResult {
	b.Helper()
	s := startSession(b, sessionOptions{realServer: realServer, ourClient: ourClient})
	ctl := s.tm.Control()
	before := readUsage(b, s.srv.PID)
	start := time.Now()
	s.tm.SendText("cat " + file + "; echo flood-$((40+2))-done")
	s.tm.SendKeys("Enter")
	// Poll through the control client, gently: a tmux process per poll
	// would take CPU from the servers being measured.
	deadline := start.Add(floodTimeout)
	for {
		screen, err := ctl.Capture()
		if err != nil {
			b.Fatalf("capture: %v", err)
		}
		if strings.Contains(screen, "flood-42-done") {
			if !endsARow(screen, last) {
				b.Fatalf("the flood's last line %q is not on the screen:\n%s", last, testenv.FrameScreen(screen))
			}
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("flood not done after %v:\n%s", floodTimeout, testenv.FrameScreen(screen))
		}
		time.Sleep(20 * time.Millisecond)
	}
	wall := time.Since(start)
	after := readUsage(b, s.srv.PID)
	_ = ctl.Close()
	s.exit()
	return floodResult{cpu: after.cpu - before.cpu, wall: wall, hwm: after.hwmKB}
}

// BenchmarkFlood compares our server with the real mosh-server on 50 MB of
// coloured output shown by the real mosh-client: server CPU time (user +
// system) and peak RSS, reported as ratios ours/mosh. Our target is
// a fraction of mosh's CPU (≤ 0.7 s against its ≈ 2.7 s) and ≤ 16 MB.
func BenchmarkFlood(b *testing.B) {
	testenv.MustHaveExec(b, "mosh-server")
	file, last := writeFloodFile(b)
	var ours, mosh floodResult
	b.ResetTimer()
	for range b.N {
		mosh.add(flood(b, file, last, true))
		ours.add(flood(b, file, last, false))
	}
	n := float64(b.N)
	b.ReportMetric(ours.cpu.Seconds()/n, "ours-cpu-s/op")
	b.ReportMetric(mosh.cpu.Seconds()/n, "mosh-cpu-s/op")
	b.ReportMetric(ours.cpu.Seconds()/mosh.cpu.Seconds(), "cpu-ours/mosh")
	b.ReportMetric(ours.wall.Seconds()/n, "ours-wall-s/op")
	b.ReportMetric(mosh.wall.Seconds()/n, "mosh-wall-s/op")
	b.ReportMetric(float64(ours.hwm)/1024, "ours-peak-MB")
	b.ReportMetric(float64(mosh.hwm)/1024, "mosh-peak-MB")
	b.ReportMetric(float64(ours.hwm)/float64(mosh.hwm), "rss-ours/mosh")
	msg := fmt.Sprintf("server CPU ours/mosh = %.2f (%.2fs / %.2fs per 50 MB); peak RSS ours/mosh = %.2f (%.1f MB / %.1f MB); wall ours/mosh = %.2f (%.1fs / %.1fs)",
		ours.cpu.Seconds()/mosh.cpu.Seconds(), ours.cpu.Seconds()/n, mosh.cpu.Seconds()/n,
		float64(ours.hwm)/float64(mosh.hwm), float64(ours.hwm)/1024, float64(mosh.hwm)/1024,
		ours.wall.Seconds()/mosh.wall.Seconds(), ours.wall.Seconds()/n, mosh.wall.Seconds()/n)
	b.Log(msg)
	fmt.Println(msg)
}

// BenchmarkFloodScrollback measures what scrollback costs our server on
// the same 50 MB flood, shown by our client: server CPU time and peak RSS
// with scrollback (the default 10,000-line ring, every line sent) against
// --scrollback=0, as ratios.
func BenchmarkFloodScrollback(b *testing.B) {
	file, last := writeFloodFile(b)
	var on, off floodResult
	b.ResetTimer()
	for range b.N {
		on.add(flood(b, file, last, false, "--scrollback=10000"))
		off.add(flood(b, file, last, false, "--scrollback=0"))
	}
	n := float64(b.N)
	b.ReportMetric(on.cpu.Seconds()/off.cpu.Seconds(), "cpu-on/off")
	b.ReportMetric(float64(on.hwm)/float64(off.hwm), "rss-on/off")
	b.ReportMetric(on.wall.Seconds()/off.wall.Seconds(), "wall-on/off")
	msg := fmt.Sprintf("scrollback on/off: server CPU %.2f (%.2fs / %.2fs per 50 MB); peak RSS %.2f (%.1f MB / %.1f MB); wall %.2f (%.1fs / %.1fs)",
		on.cpu.Seconds()/off.cpu.Seconds(), on.cpu.Seconds()/n, off.cpu.Seconds()/n,
		float64(on.hwm)/float64(off.hwm), float64(on.hwm)/1024, float64(off.hwm)/1024,
		on.wall.Seconds()/off.wall.Seconds(), on.wall.Seconds()/n, off.wall.Seconds()/n)
	b.Log(msg)
	fmt.Println(msg)
}

// endsARow reports whether some row of screen ends with s (trailing blanks
// ignored).
func endsARow(screen, s string) bool {
	for _, row := range strings.Split(screen, "\n") {
		if strings.HasSuffix(strings.TrimRight(row, " "), s) {
			return true
		}
	}
	return false
}
