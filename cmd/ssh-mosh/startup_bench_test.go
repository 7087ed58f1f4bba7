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
// until the remote shell's prompt is on the screen; quit then ends the
// session (typed into the pane).
func timeToPrompt(b *testing.B, argv []string, quit func(*testenv.Tmux)) time.Duration {
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
			quit(m)
			m.WaitExit(15 * time.Second)
			return d
		}
		time.Sleep(time.Millisecond)
	}
	b.Fatalf("no prompt within 20 s; screen:\n%s", m.Capture())
	return 0
}

// escapeQuit ends a mosh session: the escape key, then ".".
func escapeQuit(m *testenv.Tmux) {
	m.SendHex(0x1e)
	m.SendText(".")
}

// exitQuit ends an ssh session: the shell's exit.
func exitQuit(m *testenv.Tmux) {
	m.SendText("exit")
	m.SendKeys("Enter")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkStartToPrompt compares the time from starting the client to the
// remote prompt: ssh-mosh (one in-process SSH connection) against OpenSSH's
// ssh, what an `alias ssh=ssh-mosh` user had, and against the real mosh
// wrapper (perl, a second ssh), which starts the real mosh-server through
// the same sshd. ssh-mosh starts the real mosh-server too, so the servers'
// own start-up is the same. Each op starts each startToPromptRounds times,
// in turn; medians and ratios are reported.
func BenchmarkStartToPrompt(b *testing.B) {
	testenv.MustHaveRoot(b)
	testenv.MustHaveExec(b, "mosh")
	testenv.MustHaveExec(b, "ssh")
	dir := b.TempDir()
	key, pub := testenv.NewUserKey(b, dir, "")
	sshd := testenv.StartSSHD(b, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(b, "target", key)
	ours := []string{testenv.GoBuild(b, "./cmd/ssh-mosh", "ssh-mosh"), "-F", cfg, "target"}
	if t := os.Getenv("SSH_MOSH_BENCH_TRANSPORT"); t != "" {
		ours = append(ours[:len(ours)-1], "--transport="+t, "target")
	}
	ssh := []string{"ssh", "-F", cfg, "target"}
	mosh := append(testenv.MoshArgv(b, cfg), "target")
	// Both again through a connection-sharing master that is up: ssh's
	// session skips its login, and so does ours (ControlPath).
	sock := testenv.StartSSHMaster(b, cfg, "target")
	oursM := append([]string{ours[0], "-o", "ControlPath=" + sock}, ours[1:]...)
	sshM := []string{"ssh", "-o", "ControlPath=" + sock, "-F", cfg, "target"}
	var o, s, m, om2, sm2 []time.Duration
	b.ResetTimer()
	for b.Loop() {
		for range startToPromptRounds {
			o = append(o, timeToPrompt(b, ours, escapeQuit))
			s = append(s, timeToPrompt(b, ssh, exitQuit))
			m = append(m, timeToPrompt(b, mosh, escapeQuit))
			om2 = append(om2, timeToPrompt(b, oursM, escapeQuit))
			sm2 = append(sm2, timeToPrompt(b, sshM, exitQuit))
		}
	}
	b.StopTimer()
	omM, smM := median(om2), median(sm2)
	b.ReportMetric(float64(omM.Microseconds())/1000, "ours-master-ms")
	b.ReportMetric(float64(smM.Microseconds())/1000, "ssh-master-ms")
	b.ReportMetric(float64(omM)/float64(smM), "ours/ssh-master")
	b.Logf("through a master, median of %d: ssh-mosh %v, ssh %v; ours/ssh %.2f",
		len(om2), omM.Round(time.Millisecond), smM.Round(time.Millisecond), float64(omM)/float64(smM))
	om, sm, mm := median(o), median(s), median(m)
	b.ReportMetric(float64(om.Microseconds())/1000, "ours-ms")
	b.ReportMetric(float64(sm.Microseconds())/1000, "ssh-ms")
	b.ReportMetric(float64(mm.Microseconds())/1000, "mosh-ms")
	b.ReportMetric(float64(om)/float64(sm), "ours/ssh")
	b.ReportMetric(float64(om)/float64(mm), "ours/mosh")
	b.Logf("start to first prompt, median of %d: ssh-mosh %v, ssh %v, mosh %v; ours/ssh %.2f, ours/mosh %.2f",
		len(o), om.Round(time.Millisecond), sm.Round(time.Millisecond), mm.Round(time.Millisecond),
		float64(om)/float64(sm), float64(om)/float64(mm))
}

// startToPromptRounds is how many times each client starts per op of
// BenchmarkStartToPrompt.
const startToPromptRounds = 5
