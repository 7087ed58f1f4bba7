package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/session"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// sshPathGiveUp is how long a session with an SSH path waits for the
// server's first state before the plain-SSH fallback: UDP's 3 s, then the
// SSH path's first round trips through a jump chain.
const sshPathGiveUp = 12 * time.Second

// autoSSHDelay is how long --transport=auto lets UDP try alone before it
// also sets up the SSH stream (well before the 3 s silence that moves the
// session to it). UDP usually answers within a round trip; a relay started
// meanwhile would only compete with the session's start for the host.
const autoSSHDelay = time.Second

// serverStartNotice wraps a StartServer notice function: it takes our
// mosh-server's unix socket line for itself and passes every other line on.
type serverStartNotice struct {
	mu     sync.Mutex
	socket string
	pass   func(string)
}

func (n *serverStartNotice) notice(line string) {
	if p, ok := sshcfg.ParseUnixSocketLine(line); ok {
		n.mu.Lock()
		n.socket = p
		n.mu.Unlock()
		return
	}
	n.pass(line)
}

func (n *serverStartNotice) Socket() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.socket
}

// runWithSSHPath runs the session over ClientPaths: UDP first (auto) and
// the SSH stream, or the SSH stream alone (ssh), on side's connection. The
// one-line notices of route changes are printed once the terminal is
// restored. keep says that more than the path rides side (forwards): it
// then stays up after a UDP handover.
func runWithSSHPath(side *sideLink, info *sshcfg.ServerInfo, socket string, mode datapath.TransportMode,
	serverCmd string, key wire.Key, s clientSettings, keep bool, extraStatus func() string) sessionEnd {
	ap := newAutoPaths(info, mode)
	paths, chooser, udp, addr := ap.paths, ap.chooser, ap.udp, ap.addr
	defer paths.Close()
	side.setPaths(paths)
	defer side.setPaths(nil)

	link := newSSHLink(side.link, paths, socket, relayTo(info, serverCmd))
	// sessCtx is the session's; attachCtx the first stream's, which ends
	// when UDP answers first.
	sessCtx, endSession := context.WithCancel(context.Background())
	attachCtx, stopAttach := context.WithCancel(sessCtx)
	want := wantSSH(chooser, mode == datapath.TransportAuto && !keep)
	// handedOver: in auto mode UDP answered first, so the SSH connection
	// has done its job and is let go, as a plain UDP session lets it go,
	// unless forwards ride it.
	var handedOver atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if mode != datapath.TransportAuto || udp == nil || sleepCtx(attachCtx, autoSSHDelay) {
			side.start()
			link.run(attachCtx)
		}
		if !handedOver.Load() || keep {
			return
		}
		// UDP carries the session, as mosh's: the connection is closed
		// and the Link sleeps, nothing ticking, until UDP, having worked,
		// stays silent (a network that drops it: WantSSH); then it is
		// dialled again, its host key pinned, and carries the datagrams
		// until UDP answers again.
		side.start()
		onDemand(sessCtx, want, func(ctx context.Context) {
			_, changed := side.link.Current()
			side.link.Wake()
			select {
			case <-changed:
				link.run(ctx)
			case <-ctx.Done():
			}
		}, side.link.Sleep)
	}()
	onConnect := func() {
		if mode == datapath.TransportAuto && !chooser.OnSSH() {
			handedOver.Store(true)
			stopAttach()
		}
	}
	stop := func() {
		endSession()
		_ = paths.Close() // ends the stream, so a blocked relay start returns
		wg.Wait()
	}

	if mode == datapath.TransportSSH || udp == nil {
		// Nothing else can carry the first datagram: wait for the stream.
		if err := <-link.attached; err != nil {
			stop()
			fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
			return sessionEnd{code: 1}
		}
	}
	end := runSessionWith(context.Background(), addr, key, s, sessionHooks{
		path:          paths,
		status:        func() string { return side.status(extraStatus) },
		statusChanged: side.changed,
		route:         paths.Route,
		giveUp:        sshPathGiveUp,
		onConnect:     onConnect,
		prompts:       side.prompts,
		serverVersion: info.Version,
	})
	stop()
	ap.printNotices()
	return end
}

// relayTo is what a relay on the host forwards to: the server's UDP port
// on the address mosh-server -s bound (sshd's side of the connection),
// else on 127.0.0.1.
func relayTo(info *sshcfg.ServerInfo, server string) sshcfg.RelayRequest {
	host := "127.0.0.1"
	if info.SSHConnectionIP != nil {
		host = info.SSHConnectionIP.String()
	}
	return sshcfg.RelayRequest{Host: host, Port: info.Port, Server: server}
}

// wantSSH makes chooser say, on the channel returned, whether it wants an
// SSH stream, once UDP worked (PathChooser.WantSSH), if on. The channel
// holds the newest word only.
func wantSSH(chooser *datapath.PathChooser, on bool) <-chan bool {
	want := make(chan bool, 1)
	if on {
		chooser.WantSSH = func(v bool) {
			select { // the chooser is the one sender, under its paths' lock
			case <-want:
			default:
			}
			want <- v
		}
	}
	return want
}

// onDemand runs use while the chooser wants an SSH stream (want), from the
// next time it asks, until ctx ends: use's context ends when UDP answers
// again, and rest is called then, before the next wait. A word from before
// (the session's start, before UDP answered) is stale.
func onDemand(ctx context.Context, want <-chan bool, use func(context.Context), rest func()) {
	rest()
	select {
	case <-want:
	default:
	}
	for waitFor(ctx, want, true) {
		useCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			use(useCtx)
		}()
		more := waitFor(ctx, want, false)
		stop()
		<-done
		if !more {
			return
		}
		rest()
	}
}

// waitFor waits for v on want; false if ctx ended first.
func waitFor(ctx context.Context, want <-chan bool, v bool) bool {
	for {
		select {
		case got := <-want:
			if got == v {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// autoPaths are a session's datagram paths under --transport auto or ssh:
// UDP (auto, when the host's address is known) and the SSH streams a
// caller attaches, with the chooser between them, whose one-line notices
// of route changes wait until the terminal is restored (printNotices).
type autoPaths struct {
	paths   *datapath.ClientPaths
	chooser *datapath.PathChooser
	udp     session.ClientPath // nil: none
	addr    *net.UDPAddr

	mu      sync.Mutex
	notices []string
}

func newAutoPaths(info *sshcfg.ServerInfo, mode datapath.TransportMode) *autoPaths {
	ap := &autoPaths{addr: &net.UDPAddr{IP: info.IP, Port: info.Port}}
	ap.chooser = datapath.NewPathChooser(mode, time.Now())
	ap.chooser.Port = info.Port
	ap.chooser.Notice = func(msg string) {
		ap.mu.Lock()
		ap.notices = append(ap.notices, "ssh-mosh: "+msg)
		ap.mu.Unlock()
	}
	if mode == datapath.TransportAuto && info.IP != nil {
		if u, err := roam.DialUDP(ap.addr); err == nil {
			ap.udp = u
		}
	}
	ap.paths = datapath.NewClientPaths(ap.udp, ap.chooser, nil)
	return ap
}

// printNotices prints the route changes' notices on stderr.
func (ap *autoPaths) printNotices() {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	for _, n := range ap.notices {
		fmt.Fprintln(os.Stderr, n)
	}
}
