package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// latencyProbe is a program in a tmux pane (a client attached to a shell
// with local echo off, or the shell itself) at a "$ " prompt, typed into and
// read back through a control-mode client.
type latencyProbe struct {
	name  string
	pane  *testenv.Tmux
	ctl   *testenv.TmuxControl
	row   int    // the prompt's row
	typed string // what is on the prompt line after "$ "
	lat   []time.Duration
	// servers are the far end's processes, counted with the pane's
	// program (and what each started) by cost.
	servers []int
}

// cost sums what the probe's processes (the pane's program, the servers,
// and every descendant of either: the shell, sshd's session processes)
// have used so far. A process that ended meanwhile is left out.
func (p *latencyProbe) cost() procCost {
	var sum procCost
	for _, root := range append([]int{p.pane.PanePID()}, p.servers...) {
		for _, pid := range append([]int{root}, testenv.Descendants(root)...) {
			c, err := readProcCost(pid)
			if err != nil {
				continue // it ended since Descendants listed it
			}
			sum.cpu += c.cpu
			sum.wakeups += c.wakeups
			sum.threads += c.threads
		}
	}
	return sum
}

// keysPerLine is how many keys are typed before the line is cleared, so it
// never wraps.
const keysPerLine = 40

// keyGap is the pause between rounds of keys; zero (the default) is a
// typist's (typingGaps). A fixed gap lines up with the protocol's own
// timers: at 50 ms, each key met the server just woken for the previous
// key's echo acknowledgement (50 ms after it, mosh's ECHO_TIMEOUT), warm,
// where a typist's next key mostly finds both ends asleep and their caches
// cold (ours/ssh 0.99-1.05 at 50 ms, 1.17-1.21 at 250 ms, the same day).
var keyGap = flag.Duration("keygap", 0, "keystroke latency benchmarks: pause between rounds of keys (0: a typist's, 100-300 ms at random)")

// typingGaps gives the pauses between rounds of keys: -keygap, or when it
// is zero a typist's, uniform in 100-300 ms (about 40 to 120 words a
// minute), from a fixed seed so that runs are comparable.
type typingGaps struct{ rng *rand.Rand }

func newTypingGaps() typingGaps { return typingGaps{rand.New(rand.NewPCG(3, 4))} }

func (g typingGaps) next() time.Duration {
	if *keyGap > 0 {
		return *keyGap
	}
	return 100*time.Millisecond + time.Duration(g.rng.Int64N(int64(200*time.Millisecond)))
}

// abClient and abServer name another build's binaries for the side-by-side
// session "B" of BenchmarkKeystrokeVsSSH.
var (
	abClient = flag.String("ab-client", "", "BenchmarkKeystrokeVsSSH: another build's client binary, typed into as session B")
	abServer = flag.String("ab-server", "", "BenchmarkKeystrokeVsSSH: that build's mosh-server (with -ab-client)")
)

// pollScreen makes the latency probes poll the screen for the echo, as
// they did before they waited for the pane's output: the poll keeps tmux
// and the prober busy on every CPU, which the measured programs then
// compete with (a loaded machine rather than an idle terminal).
var pollScreen = flag.Bool("poll", false, "keystroke latency benchmarks: poll the screen for each echo instead of waiting for the pane's output")

// keysPerOp is how many keys each session gets per op: enough for a p90
// from a single op, so the default -benchtime gives a usable sample.
var keysPerOp = flag.Int("keys", 100, "BenchmarkKeystrokeLatency: keys per session per op")

// keystrokeTimeout bounds the wait for one echo.
const keystrokeTimeout = 5 * time.Second

func newLatencyProbe(b *testing.B, name string, argv, env []string) *latencyProbe {
	b.Helper()
	pane := testenv.StartTmux(b, testenv.TmuxOptions{Env: env}, argv...)
	pane.SendText("echo ready-$((6*7))")
	pane.SendKeys("Enter")
	pane.WaitFor("ready-42\n$", waitLong)
	_, y := pane.Cursor()
	ctl := pane.ControlOutput()
	if *pollScreen {
		ctl = pane.Control() // as before: no output notifications at all
	}
	return &latencyProbe{name: name, pane: pane, ctl: ctl, row: y}
}

// line returns the prompt row of the screen.
func (p *latencyProbe) line(screen string) string {
	rows := strings.Split(screen, "\n")
	if p.row >= len(rows) {
		return ""
	}
	return strings.TrimRight(rows[p.row], " ")
}

// await waits until the prompt line reads "$ "+want and returns when it
// did: when tmux read the output that made it so (or, with -poll, when a
// poll of the screen first showed it).
func (p *latencyProbe) await(b *testing.B, want string) time.Time {
	deadline := time.Now().Add(keystrokeTimeout)
	for {
		at := time.Now()
		if !*pollScreen {
			var err error
			if at, err = p.ctl.AwaitOutput(time.Until(deadline)); err != nil {
				at = time.Now() // a last look, to report the screen
			}
		}
		screen, err := p.ctl.Capture()
		if err != nil {
			b.Fatalf("%s: capture: %v", p.name, err)
		}
		if p.line(screen) == strings.TrimRight("$ "+want, " ") {
			if t, ok := p.ctl.TakeOutput(); ok {
				at = t // output read during the capture, which shows it
			}
			return at
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %q did not appear on row %d:\n%s", p.name, want, p.row, testenv.FrameScreen(screen))
		}
	}
}

// key types one letter and records how long its echo took to show.
func (p *latencyProbe) key(b *testing.B) {
	if len(p.typed) == keysPerLine {
		if _, err := p.ctl.Command("send-keys C-u"); err != nil {
			b.Fatalf("%s: %v", p.name, err)
		}
		p.typed = ""
		p.await(b, "")
	}
	k := string(rune('a' + len(p.typed)%26))
	start := time.Now()
	if _, err := p.ctl.Command("send-keys -l " + k); err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	p.typed += k
	p.lat = append(p.lat, p.await(b, p.typed).Sub(start))
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkKeystrokeLatency measures keystroke → screen on loopback with
// local echo off, so every key waits for the server's echo. Four sessions
// take turns key by key, so all see the same machine load (one op is -keys
// keys to each, 100 by default, with -keygap between rounds):
//
//   - mosh: the real mosh-client and the real mosh-server;
//   - ours: our client (as mosh-client) and the real mosh-server, the
//     comparison the client alone can change — the real server holds every
//     frame for its SEND_MINDELAY (8 ms), which bounds this one from below;
//   - ours-ours: our client and our mosh-server, what an ssh-mosh user gets
//     (target ≤ 1 ms);
//   - direct: the shell in tmux without mosh, the floor of the measurement
//     (tmux, the pty, the polling).
//
// Reported: median and p90 per session and the ratios against mosh.
func BenchmarkKeystrokeLatency(b *testing.B) {
	testenv.MustHaveExec(b, "tmux")
	testenv.MustHaveExec(b, "mosh-server")
	env := []string{"PS1=$ ", "ENV="}
	noPredict := "MOSH_PREDICTION_DISPLAY=never"
	client := testenv.GoBuild(b, "./cmd/ssh-mosh", "mosh-client")
	ourServer := testenv.GoBuild(b, "./cmd/mosh-server", "mosh-server")

	moshSrv := testenv.StartMoshServerEnv(b, "", env, "--", "/bin/sh")
	moshArgv, moshEnv := testenv.MoshClientArgv(b, moshSrv.Key, moshSrv.Port)
	mosh := newLatencyProbe(b, "mosh", moshArgv, append(moshEnv, noPredict))

	srv := testenv.StartMoshServerEnv(b, "", env, "--", "/bin/sh")
	ours := newLatencyProbe(b, "ours", []string{client, "127.0.0.1", fmt.Sprint(srv.Port)},
		[]string{"MOSH_KEY=" + srv.Key, noPredict})

	srv2 := testenv.StartMoshServerEnv(b, ourServer, env, "--", "/bin/sh")
	oursOurs := newLatencyProbe(b, "ours-ours", []string{client, "127.0.0.1", fmt.Sprint(srv2.Port)},
		[]string{"MOSH_KEY=" + srv2.Key, noPredict})

	// The harness's own floor: the shell straight in tmux.
	direct := newLatencyProbe(b, "direct", []string{"/bin/sh"}, env)

	probes := []*latencyProbe{mosh, ours, oursOurs, direct}
	gaps := newTypingGaps()
	for b.Loop() {
		for range *keysPerOp {
			for _, p := range probes {
				p.key(b)
			}
			// A typist's pause: keys fired back to back would measure
			// the frame-rate cap (one frame per send interval, 20 ms and
			// up on both sides), not the latency of a keystroke.
			time.Sleep(gaps.next())
		}
	}
	m50 := quantile(mosh.lat, 0.5)
	summary := fmt.Sprintf("keystroke→screen, %d keys each:", len(mosh.lat))
	for _, p := range probes {
		p50, p90 := quantile(p.lat, 0.5), quantile(p.lat, 0.9)
		b.ReportMetric(ms(p50), p.name+"-p50-ms")
		b.ReportMetric(ms(p90), p.name+"-p90-ms")
		summary += fmt.Sprintf(" %s p50 %v p90 %v;", p.name, p50.Round(time.Microsecond), p90.Round(time.Microsecond))
		if p != mosh && m50 > 0 {
			r := float64(p50) / float64(m50)
			b.ReportMetric(r, p.name+"/mosh-p50")
			summary += fmt.Sprintf(" %s/mosh p50 %.3f;", p.name, r)
		}
	}
	b.Log(summary)
	if testing.Verbose() {
		for _, p := range probes {
			s := slices.Clone(p.lat)
			slices.Sort(s)
			b.Logf("%s sorted: %v", p.name, s)
		}
	}
}
