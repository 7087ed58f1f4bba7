package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// echoProbe is one session with local echo on, typing at a bash prompt
// through its own netem proxy, timed through a tmux control-mode client.
type echoProbe struct {
	name  string
	pane  *testenv.Tmux
	ctl   *testenv.TmuxControl
	proxy *netem.Proxy
	typed string // what is on the prompt line after "$ "
	lat   []time.Duration
	// mispredicted counts keys during whose wait the prompt line showed
	// something that was neither the text before the key nor after it.
	mispredicted int
}

// predictKeyGap is the pause between rounds of keys: a brisk typist.
const predictKeyGap = 100 * time.Millisecond

// predictLineKeys is how many keys are typed before Ctrl-U clears the line;
// the first key after it waits for the server, as in real use.
const predictLineKeys = 30

func newEchoProbe(b *testing.B, name string, serverBin string, ourClient bool, cfg netem.Config) *echoProbe {
	b.Helper()
	server := testenv.StartMoshServerEnv(b, serverBin,
		[]string{"PS1=$ ", "ENV=", "HISTFILE=/dev/null", "INPUTRC=/dev/null"},
		"--", "/bin/bash", "--norc", "--noprofile")
	proxy, err := netem.NewUDPProxy("127.0.0.1:0", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: server.Port}, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = proxy.Close() })
	var argv, env []string
	if ourClient {
		argv = []string{testenv.GoBuild(b, "./cmd/ssh-mosh", "mosh-client"), "127.0.0.1", fmt.Sprint(proxy.Addr().Port)}
		env = []string{"MOSH_KEY=" + server.Key}
	} else {
		argv, env = testenv.MoshClientArgv(b, server.Key, proxy.Addr().Port)
	}
	pane := testenv.StartTmux(b, testenv.TmuxOptions{Env: env}, argv...)
	pane.WaitFor("$", waitLong)
	pane.SendText("clear")
	pane.SendKeys("Enter")
	pane.WaitForFunc("a cleared screen", func(s string) bool {
		return screenRow(s, 0) == "$" && screenRow(s, 1) == ""
	}, waitLong)
	time.Sleep(settleTime)
	return &echoProbe{name: name, pane: pane, ctl: pane.Control(), proxy: proxy}
}

// await polls the prompt line until it reads "$ "+want; seeing anything but
// that or "$ "+before marks the key mispredicted.
func (p *echoProbe) await(b *testing.B, before, want string) {
	wantLine, beforeLine := strings.TrimRight("$ "+want, " "), strings.TrimRight("$ "+before, " ")
	deadline := time.Now().Add(keystrokeTimeout)
	wrong := false
	for {
		screen, err := p.ctl.Capture()
		if err != nil {
			b.Fatalf("%s: capture: %v", p.name, err)
		}
		line := screenRow(screen, 0)
		if line == wantLine {
			if wrong {
				p.mispredicted++
			}
			return
		}
		if line != beforeLine {
			wrong = true
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: %q did not appear:\n%s", p.name, wantLine, testenv.FrameScreen(screen))
		}
	}
}

// key types one letter (after clearing a full line) and records how long it
// took to show.
func (p *echoProbe) key(b *testing.B) {
	if len(p.typed) == predictLineKeys {
		if _, err := p.ctl.Command("send-keys C-u"); err != nil {
			b.Fatalf("%s: %v", p.name, err)
		}
		p.await(b, p.typed, "")
		p.typed = ""
	}
	k := string(rune('a' + len(p.typed)%26))
	start := time.Now()
	if _, err := p.ctl.Command("send-keys -l " + k); err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	p.await(b, p.typed, p.typed+k)
	p.lat = append(p.lat, time.Since(start))
	p.typed += k
}

// slow counts keys that waited at least half a round trip: those the
// prediction did not cover.
func (p *echoProbe) slow() int {
	n := 0
	for _, d := range p.lat {
		if d >= predictDelay {
			n++
		}
	}
	return n
}

// BenchmarkPredictLatency measures keystroke → screen with local echo at
// 200 ms RTT (100 ms each way through netem), with 0 % and 5 % loss. Three
// sessions take turns key by key, each behind its own proxy with the same
// impairment:
//
//   - mosh: the real mosh-client and the real mosh-server;
//   - ours: our client and the real mosh-server;
//   - ours-ours: our client and our mosh-server.
//
// Reported per session: p50/p90/p99 latency, keys slower than half an RTT,
// mispredicted keys; and the p50/p90/p99 ratios against mosh. Run with e.g.
// -benchtime=60x for 60 keys per session.
func BenchmarkPredictLatency(b *testing.B) {
	testenv.MustHaveExec(b, "tmux")
	testenv.MustHaveExec(b, "mosh-server")
	testenv.MustHaveExec(b, "mosh-client")
	testenv.MustHaveExec(b, "bash")
	ourServer := testenv.GoBuild(b, "./cmd/mosh-server", "mosh-server")
	for _, loss := range []float64{0, 0.05} {
		b.Run(fmt.Sprintf("loss-%g%%", loss*100), func(b *testing.B) {
			cfg := netem.Config{Delay: predictDelay, Loss: loss, Seed: 7}
			probes := []*echoProbe{
				newEchoProbe(b, "mosh", "", false, cfg),
				newEchoProbe(b, "ours", "", true, cfg),
				newEchoProbe(b, "ours-ours", ourServer, true, cfg),
			}
			for b.Loop() {
				for _, p := range probes {
					p.key(b)
				}
				time.Sleep(predictKeyGap)
			}
			reportEchoProbes(b, probes)
		})
	}
}

func reportEchoProbes(b *testing.B, probes []*echoProbe) {
	mosh := probes[0]
	qs := []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}}
	summary := fmt.Sprintf("keystroke→screen at 200 ms RTT, %d keys each:", len(mosh.lat))
	for _, p := range probes {
		summary += fmt.Sprintf("\n  %-9s", p.name)
		for _, q := range qs {
			v := quantile(p.lat, q.q)
			b.ReportMetric(ms(v), p.name+"-"+q.name+"-ms")
			summary += fmt.Sprintf(" %s %8.3f ms", q.name, ms(v))
			if p != mosh {
				if m := quantile(mosh.lat, q.q); m > 0 {
					r := float64(v) / float64(m)
					b.ReportMetric(r, p.name+"/mosh-"+q.name)
					summary += fmt.Sprintf(" (×%.2f)", r)
				}
			}
		}
		b.ReportMetric(float64(p.slow()), p.name+"-slow-keys")
		b.ReportMetric(float64(p.mispredicted), p.name+"-mispredicted")
		summary += fmt.Sprintf("; %d slow keys, %d mispredicted", p.slow(), p.mispredicted)
	}
	b.Log(summary)
}
