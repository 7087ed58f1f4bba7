package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/internal/sshmux"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// A connection-sharing master (ssh_config's ControlMaster and ControlPath)
// that already holds an authenticated connection to the host starts the
// session's server in one round trip, as `ssh host` through it starts a
// shell: no connection, key exchange or authentication of our own. Only
// what a master's session can carry goes that way: no forwards (they ride
// our own connection beside the session), no jump host (the UDP session
// needs the host's own address). --attach, --sessions and --kill run their
// sub-commands through it too. Under --transport auto, when UDP does not
// answer at once, the datagrams ride the master's connection too, through a
// relay on the host run in a session of the master (MuxStarter.StartRelay),
// as they ride our own connection without a master. Under --transport udp,
// or when no relay can start, the session is on UDP alone; when UDP then
// gets no reply the server is stopped and the login starts again on a
// connection of our own.

// masterDialTimeout bounds the hello with a master: it answers from the
// same machine.
const masterDialTimeout = 2 * time.Second

// useMaster reports whether the session should start through a master:
// one is configured, the session needs nothing a master's session cannot
// carry, and a master answers.
func useMaster(o *Options, cfg *sshcfg.Config, plan *forwardPlan, tmode datapath.TransportMode) bool {
	if !plan.empty() || tmode == datapath.TransportSSH || len(cfg.ProxyJump) > 0 || cfg.ProxyCommand != "" {
		return false
	}
	return masterAnswers(o, cfg)
}

// masterAnswers reports whether a master answers on cfg's ControlPath
// (saying so under -v, and on stderr when something else listens there).
func masterAnswers(o *Options, cfg *sshcfg.Config) bool {
	if cfg.ControlPath == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), masterDialTimeout)
	defer cancel()
	err := sshcfg.DialMaster(ctx, cfg)
	switch {
	case err == nil:
		verbosef(o, "starting the server through the master on %s", cfg.ControlPath)
		return true
	case errors.Is(err, sshmux.ErrNoMaster):
		verbosef(o, "no master on %s", cfg.ControlPath)
	default:
		// ssh says so too, and connects by itself.
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v — connecting without it\n", err)
	}
	return false
}

// runViaMaster starts the server through the master and runs the session
// on UDP. again reports that the login must start over on a connection of
// its own: the start failed (the full path says why, or succeeds), or no
// UDP reply came.
func runViaMaster(o *Options, cfg *sshcfg.Config, args []string, req sshcfg.ServerRequest, tmode datapath.TransportMode, server string) (code int, again bool) {
	m := sshcfg.MuxStarter{Config: cfg}
	if o.Attach != "" {
		var code int
		if req.Args, code = attachArgs(o, cfg, m.RunCommand); code != 0 {
			return code, false
		}
	}
	startCtx, interrupted, stopInterrupts := interruptible(context.Background())
	info, err := sshcfg.StartServerVia(startCtx, m, req)
	stopInterrupts()
	if st := interrupted(); st != 0 {
		if err == nil {
			_ = sshcfg.KillServerVia(m, info)
		}
		return st, false
	}
	if err != nil {
		verbosef(o, "starting the server through the master: %v", err)
		return 0, true
	}
	verbosef(o, "%s (through the master)", info)
	o.clog.Info("mosh-server started through the master", "server", info)
	key, s, ok := sessionKeyAndSettings(o, cfg, info, func() { _ = sshcfg.KillServerVia(m, info) })
	if !ok {
		return 255, false
	}
	var end sessionEnd
	if tmode == datapath.TransportAuto {
		end = runWithMasterPath(m, info, server, key, s)
	} else {
		addr := &net.UDPAddr{IP: info.IP, Port: info.Port}
		end = runSessionWith(context.Background(), addr, key, s, sessionHooks{giveUp: udpGiveUp, serverVersion: info.Version})
	}
	if code, over := sessionOver(cfg, args[0], end, info.Ours, true); over {
		return code, false
	}
	verbosef(o, "nothing received on UDP port %d; starting over on a connection of our own", info.Port)
	_ = sshcfg.KillServerVia(m, info)
	return 0, true
}

// runWithMasterPath runs a session started through the master under
// --transport auto: UDP first, and when UDP has not answered within
// autoSSHDelay, a relay on the host through the master (opened again when
// it ends). UDP answering first makes the relay unneeded until UDP, having
// worked, stays silent, as in runWithSSHPath.
func runWithMasterPath(m sshcfg.MuxStarter, info *sshcfg.ServerInfo, server string, key wire.Key, s clientSettings) sessionEnd {
	ap := newAutoPaths(info, datapath.TransportAuto)
	defer ap.paths.Close()
	relay := relayTo(info, server)
	sessCtx, endSession := context.WithCancel(context.Background())
	attachCtx, cancel := context.WithCancel(sessCtx)
	want := wantSSH(ap.chooser, true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if ap.udp == nil || sleepCtx(attachCtx, autoSSHDelay) {
			relayViaMaster(attachCtx, m, relay, ap.paths)
		}
		// UDP answered first: a relay when UDP, having worked, stays
		// silent (if the master's connection outlived what blocked it),
		// until UDP answers again.
		onDemand(sessCtx, want, func(ctx context.Context) { relayViaMaster(ctx, m, relay, ap.paths) }, func() {})
	}()
	end := runSessionWith(context.Background(), ap.addr, key, s, sessionHooks{
		path:  ap.paths,
		route: ap.paths.Route,
		// As long as an SSH path's: a relay's start through the master
		// takes a round trip or two after UDP's silence.
		giveUp: sshPathGiveUp,
		onConnect: func() {
			if !ap.chooser.OnSSH() {
				cancel()
			}
		},
		serverVersion: info.Version,
	})
	endSession()
	_ = ap.paths.Close() // ends the stream, so a relay's start returns
	<-done
	ap.printNotices()
	return end
}

// relayViaMaster keeps a relay through the master attached to paths until
// ctx ends: another after one ends, after a backoff. It gives up when the
// first cannot start, or the master is gone (the session is then on UDP
// alone).
func relayViaMaster(ctx context.Context, m sshcfg.MuxStarter, req sshcfg.RelayRequest, paths *datapath.ClientPaths) {
	wait := reopenFirst
	for first := true; ctx.Err() == nil; first = false {
		startCtx, cancel := context.WithTimeout(ctx, streamStartTimeout)
		rwc, err := m.StartRelay(startCtx, req)
		cancel()
		if err != nil {
			if first || errors.Is(err, sshmux.ErrNoMaster) {
				return
			}
		} else {
			dead, err := paths.Attach(rwc)
			if err != nil {
				_ = rwc.Close()
				return // paths closed: the session is over
			}
			attachedAt := time.Now()
			select {
			case <-dead:
			case <-ctx.Done():
				_ = rwc.Close() // UDP answered first, or the session is over
				return
			}
			if time.Since(attachedAt) > 10*time.Second {
				wait = reopenFirst
			}
		}
		if !sleepCtx(ctx, wait) {
			return
		}
		wait = min(2*wait, reopenMax)
	}
}
