package main

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// timeToPrompt starts argv in a fresh tmux and returns how long it takes
// until the remote shell's prompt is on the screen.
func timeToPrompt(b *testing.B, argv []string) time.Duration {
	b.Helper()
	start := time.Now()
	m := testenv.StartTmux(b, testenv.TmuxOptions{Width: 80, Height: 24, Env: []string{"SSH_AUTH_SOCK="}}, argv...)
	c := m.Control()
	defer c.Close()
	deadline := start.Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s, err := c.Capture()
		if err == nil && strings.Contains(s, "~#") {
			d := time.Since(start)
			m.SendHex(0x1e)
			m.SendText(".")
			m.WaitExit(15 * time.Second)
			return d
		}
		time.Sleep(time.Millisecond)
	}
	b.Fatalf("no prompt within 20 s; screen:\n%s", m.Capture())
	return 0
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkStartToPrompt compares the time from starting the client to the
// remote prompt: ssh-mosh (one in-process SSH connection) against the real
// mosh wrapper (perl, a second ssh), both to the real mosh-server through
// the same sshd.
func BenchmarkStartToPrompt(b *testing.B) {
	testenv.MustHaveRoot(b)
	testenv.MustHaveExec(b, "mosh")
	dir := b.TempDir()
	key, pub := testenv.NewUserKey(b, dir, "")
	sshd := testenv.StartSSHD(b, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(b, "target", key)
	ours := []string{testenv.GoBuild(b, "./cmd/ssh-mosh", "ssh-mosh"), "-F", cfg, "target"}
	if t := os.Getenv("SSH_MOSH_BENCH_TRANSPORT"); t != "" {
		ours = append(ours[:len(ours)-1], "--transport="+t, "target")
	}
	mosh := append(testenv.MoshArgv(b, cfg), "target")
	var o, m []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o = append(o, timeToPrompt(b, ours))
		m = append(m, timeToPrompt(b, mosh))
	}
	b.StopTimer()
	om, mm := median(o), median(m)
	b.ReportMetric(float64(om.Microseconds())/1000, "ours-ms")
	b.ReportMetric(float64(mm.Microseconds())/1000, "mosh-ms")
	b.ReportMetric(float64(om)/float64(mm), "ours/mosh")
	b.Logf("start to first prompt: ssh-mosh %v, mosh %v, ratio ours/mosh = %.2f (target ≤ 0.5)", om, mm, float64(om)/float64(mm))
}
