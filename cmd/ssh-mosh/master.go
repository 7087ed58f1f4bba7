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
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// A connection-sharing master (ssh_config's ControlMaster and ControlPath)
// that already holds an authenticated connection to the host starts the
// session's server in one round trip, as `ssh host` through it starts a
// shell: no connection, key exchange or authentication of our own. Only
// what a master's session can carry goes that way: no forwards (they ride
// our own connection beside the session), no jump host (the UDP session
// needs the host's own address), and the session on UDP (a master gives
// no channel for the datagrams over SSH). --attach, --sessions and --kill
// run their sub-commands through it too. When UDP gets no
// reply the server is stopped and the login starts again on a connection
// of our own, which can carry them.

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
func runViaMaster(o *Options, cfg *sshcfg.Config, args []string, req sshcfg.ServerRequest) (code int, again bool) {
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
	addr := &net.UDPAddr{IP: info.IP, Port: info.Port}
	end := runSessionWith(context.Background(), addr, key, s, sessionHooks{giveUp: udpGiveUp, serverVersion: info.Version})
	if code, over := sessionOver(cfg, args[0], end, info.Ours, true); over {
		return code, false
	}
	verbosef(o, "nothing received on UDP port %d; starting over on a connection of our own", info.Port)
	_ = sshcfg.KillServerVia(m, info)
	return 0, true
}
