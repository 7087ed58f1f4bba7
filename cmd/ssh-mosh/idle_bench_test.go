package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// idleSpan is how long BenchmarkIdleCost watches the idle sessions.
var idleSpan = flag.Duration("idle", 30*time.Second, "BenchmarkIdleCost: how long the sessions stay idle")

// idleSettle is how long a session runs after its prompt before it is
// measured, so start-up (and the first heartbeats) are left out.
const idleSettle = 2 * time.Second

// procCost is what a process has used so far, over all its threads.
type procCost struct {
	cpu     time.Duration // utime + stime
	wakeups int64         // voluntary + nonvoluntary context switches
	threads int
}

// clockTick is the unit of utime and stime in /proc: USER_HZ, 100 on every
// Linux port this runs on.
const clockTick = 10 * time.Millisecond

// readProcCost sums /proc/PID/task/*/schedstat (CPU time; utime + stime
// from stat where it is missing) and
// /proc/PID/task/*/status (voluntary and nonvoluntary context switches).
func readProcCost(pid int) (procCost, error) {
	var c procCost
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil || len(tasks) == 0 {
		return c, fmt.Errorf("no tasks of pid %d", pid)
	}
	for _, t := range tasks {
		stat, err := os.ReadFile(t + "/stat")
		if err != nil {
			continue // the thread ended meanwhile
		}
		// Fields after the command (which may hold spaces) in ")".
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			return c, fmt.Errorf("short %s/stat", t)
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		cpu := time.Duration(ut+st) * clockTick
		// schedstat's first field is the time on a CPU in ns, finer
		// than utime+stime's 10 ms ticks, where the kernel has it.
		if ss, err := os.ReadFile(t + "/schedstat"); err == nil {
			if f := strings.Fields(string(ss)); len(f) > 0 {
				if ns, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					cpu = time.Duration(ns)
				}
			}
		}
		c.cpu += cpu
		status, err := os.ReadFile(t + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && (k == "voluntary_ctxt_switches" || k == "nonvoluntary_ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				c.wakeups += n
			}
		}
		c.threads++
	}
	return c, nil
}

// BenchmarkIdleCost measures what an idle session costs each end: CPU time
// and wakeups (context switches, all threads) of the client and the server
// over -idle (30 s) after the session settled, ours against the real
// mosh-client and mosh-server side by side, each running /bin/sh at a
// prompt. Only the protocol's own timers should wake an idle session (the
// heartbeat every 3 s on each side); the target is no more than mosh.
//
// Counting only: a loaded machine adds involuntary switches (and the Go
// runtime's monitor thread naps in 20 µs steps while a due timer waits for
// a CPU), so no bound is asserted.
func BenchmarkIdleCost(b *testing.B) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		b.Skip("needs /proc/PID/task (Linux)")
	}
	testenv.MustHaveExec(b, "tmux")
	testenv.MustHaveExec(b, "mosh-server")
	env := []string{"PS1=$ ", "ENV="}
	client := testenv.GoBuild(b, "./cmd/ssh-mosh", "mosh-client")
	ourServer := testenv.GoBuild(b, "./cmd/mosh-server", "mosh-server")

	srv := testenv.StartMoshServerEnv(b, ourServer, env, "--", "/bin/sh")
	ours := newLatencyProbe(b, "ours", []string{client, "127.0.0.1", fmt.Sprint(srv.Port)},
		[]string{"MOSH_KEY=" + srv.Key})
	moshSrv := testenv.StartMoshServerEnv(b, "", env, "--", "/bin/sh")
	moshArgv, moshEnv := testenv.MoshClientArgv(b, moshSrv.Key, moshSrv.Port)
	mosh := newLatencyProbe(b, "mosh", moshArgv, moshEnv)

	procs := []idleProc{
		{"ours-client", ours.pane.PanePID()}, {"ours-server", srv.PID},
		{"mosh-client", mosh.pane.PanePID()}, {"mosh-server", moshSrv.PID},
	}
	sums := make([]procCost, len(procs))
	for b.Loop() {
		time.Sleep(idleSettle)
		before := make([]procCost, len(procs))
		for i, p := range procs {
			c, err := readProcCost(p.pid)
			if err != nil {
				b.Fatalf("%s: %v", p.name, err)
			}
			before[i] = c
		}
		time.Sleep(*idleSpan)
		for i, p := range procs {
			c, err := readProcCost(p.pid)
			if err != nil {
				b.Fatalf("%s: %v", p.name, err)
			}
			sums[i].cpu += c.cpu - before[i].cpu
			sums[i].wakeups += c.wakeups - before[i].wakeups
			sums[i].threads = c.threads
		}
	}
	n := int64(b.N)
	summary := fmt.Sprintf("idle %v after %v settling:", *idleSpan, idleSettle)
	for i, p := range procs {
		cpu, w := sums[i].cpu/time.Duration(n), sums[i].wakeups/n
		b.ReportMetric(float64(cpu)/float64(time.Millisecond), p.name+"-cpu-ms")
		b.ReportMetric(float64(w), p.name+"-wakeups")
		summary += fmt.Sprintf(" %s %v CPU, %d wakeups (%d threads);", p.name, cpu.Round(10*time.Microsecond), w, sums[i].threads)
	}
	for _, side := range []string{"client", "server"} {
		o, m := sums[indexOf(procs, "ours-"+side)], sums[indexOf(procs, "mosh-"+side)]
		if m.wakeups > 0 {
			r := float64(o.wakeups) / float64(m.wakeups)
			b.ReportMetric(r, "ours/mosh-"+side+"-wakeups")
			summary += fmt.Sprintf(" ours/mosh %s wakeups %.2f;", side, r)
		}
	}
	b.Log(summary)
}

// idleProc is one process BenchmarkIdleCost watches.
type idleProc struct {
	name string
	pid  int
}

func indexOf(ps []idleProc, name string) int {
	for i, p := range ps {
		if p.name == name {
			return i
		}
	}
	return -1
}
