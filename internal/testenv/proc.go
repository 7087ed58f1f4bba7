package testenv

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Descendants lists the live descendants of pid (children, grandchildren,
// …) found by scanning /proc. Processes that detached with a double fork
// are re-parented away and are not found; fixtures stop those by their own
// pid.
func Descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(child); ok {
			children[ppid] = append(children[ppid], child)
		}
	}
	var out []int
	queue := []int{pid}
	seen := map[int]bool{pid: true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	return out
}

// parentPID reads the parent of pid from /proc/PID/stat. The command name
// in that file is in parentheses and may itself hold spaces or ')', so the
// fields are counted from the last ')'.
func parentPID(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// KillTree stops pid and every descendant it has now: SIGTERM to all, then
// SIGKILL to those still alive after a grace period. The descendants are
// collected first because once pid dies they are re-parented and lost.
func KillTree(pid int) {
	if pid <= 0 {
		return
	}
	KillPIDs(append([]int{pid}, Descendants(pid)...))
}

// KillPIDs stops the given processes together: SIGTERM to all, then SIGKILL
// to those still alive after one shared grace period.
func KillPIDs(pids []int) {
	for _, p := range pids {
		if p > 0 {
			_ = syscall.Kill(p, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for _, p := range pids {
		if p > 0 && !WaitGone(p, time.Until(deadline)) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
	for _, p := range pids {
		if p > 0 {
			WaitGone(p, 2*time.Second)
		}
	}
}

// PIDsWithEnv lists live processes whose environment holds a variable for
// which match is true (given "NAME=value"). Processes the caller may not
// inspect are skipped.
func PIDsWithEnv(match func(kv string) bool) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(string(b), "\x00") {
			if match(kv) {
				if Alive(pid) {
					out = append(out, pid)
				}
				break
			}
		}
	}
	return out
}
