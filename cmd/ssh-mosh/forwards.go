package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ssh-mosh/ssh-mosh/forward"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// forwardPlan is what a roaming session forwards beside it: the -L/-R/-D
// specs of the command line and ssh_config, and the agent socket for -A.
type forwardPlan struct {
	specs        []forward.Spec
	agentSock    string // "" for no agent forwarding
	agentAsked   bool   // asked for, even without an agent to forward
	gatewayPorts bool
	exitOnFail   bool
}

func (p *forwardPlan) empty() bool { return len(p.specs) == 0 && p.agentSock == "" }

// cancelForUnsafeHostKey drops the agent and the port forwards after a
// login that StrictHostKeyChecking no let through a changed host key, in
// OpenSSH's words; with ExitOnForwardFailure it ends the login instead,
// as ssh does (stop, with the status).
func (p *forwardPlan) cancelForUnsafeHostKey(c *sshcfg.Config) (code int, stop bool) {
	cancelled := false
	if p.agentAsked {
		p.agentSock, p.agentAsked = "", false
		cancelled = true
		if c.Logs("ERROR") {
			fmt.Fprintln(os.Stderr, "Agent forwarding is disabled to avoid man-in-the-middle attacks.")
		}
	}
	if len(p.specs) > 0 {
		p.specs = nil
		cancelled = true
		if c.Logs("ERROR") {
			fmt.Fprintln(os.Stderr, "Port forwarding is disabled to avoid man-in-the-middle attacks.")
		}
	}
	if cancelled && p.exitOnFail {
		fmt.Fprintln(os.Stderr, "ssh-mosh: Error: forwarding disabled due to host key check failure")
		return 255, true
	}
	return 0, false
}

// planForwards gathers the forwards as OpenSSH would: the command line's
// first, then the config's; ClearAllForwardings drops them all; -A/-a win
// over ForwardAgent. An error wrapping forward.ErrNeedsOpenSSH means ssh
// must do the login; any other is a bad specification (ssh's message).
func planForwards(o *Options, c *sshcfg.Config) (*forwardPlan, error) {
	p := &forwardPlan{gatewayPorts: o.GatewayPorts || c.GatewayPorts, exitOnFail: c.ExitOnForwardFailure}
	if !c.ClearAllForwardings {
		for _, l := range []struct {
			kind  forward.Kind
			flags []string
			cfg   []string
		}{
			{forward.Local, o.LocalForwards, c.LocalForwards},
			{forward.Remote, o.RemoteForwards, c.RemoteForwards},
			{forward.Dynamic, o.DynamicForwards, c.DynamicForwards},
		} {
			for _, f := range l.flags {
				s, err := forward.Parse(l.kind, f)
				if err != nil {
					return nil, err
				}
				p.specs = append(p.specs, s)
			}
			for _, f := range l.cfg {
				s, err := forward.ParseConfig(l.kind, f)
				if err != nil {
					return nil, err
				}
				p.specs = append(p.specs, s)
			}
		}
	}
	fa := strings.ToLower(c.ForwardAgent)
	switch {
	case o.NoForwardAgent:
		fa = "no"
	case o.ForwardAgent:
		fa = "yes"
	}
	switch fa {
	case "", "no", "false":
	case "yes", "true":
		p.agentSock, p.agentAsked = identityAgent(c.IdentityAgent), true
	default:
		p.agentSock, p.agentAsked = expandAgentPath(c.ForwardAgent), true
	}
	return p, nil
}

// identityAgent is the agent ssh talks to, which ForwardAgent yes forwards.
func identityAgent(ia string) string {
	switch ia {
	case "none":
		return ""
	case "", "SSH_AUTH_SOCK":
		return os.Getenv("SSH_AUTH_SOCK")
	}
	return expandAgentPath(ia)
}

// expandAgentPath reads ForwardAgent's socket: "$VAR" names an
// environment variable, "~/" the home directory.
func expandAgentPath(v string) string {
	if name, ok := strings.CutPrefix(v, "$"); ok {
		return os.Getenv(name)
	}
	if rest, ok := strings.CutPrefix(v, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return v
}

// forwards are a session's running forwards.
type forwards struct {
	side  *sideLink
	fw    *forward.Forwarder
	agent *forward.Agent

	mu    sync.Mutex
	later []string // notices during the session, printed at the end
	live  bool     // the session owns the terminal: notices wait
}

// startForwards starts the plan's forwards on side (whose Link it starts)
// and returns the SSH_AUTH_SOCK for the remote shell ("" for none).
// Messages before the session go to stderr at once.
func startForwards(side *sideLink, p *forwardPlan, host string) (*forwards, error) {
	f := &forwards{side: side}
	side.start()
	if p.agentSock != "" {
		a, err := forward.StartAgent(side.link, p.agentSock, f.notice)
		switch {
		case errors.Is(err, forward.ErrAgentRefused):
			fmt.Fprintf(os.Stderr, "ssh-mosh: Warning: %s refused agent forwarding (AllowAgentForwarding no?): the session has no agent\n", host)
		case err != nil:
			fmt.Fprintf(os.Stderr, "ssh-mosh: Warning: %v: the session has no agent\n", err)
		default:
			f.agent = a
			// OpenSSH's manual: users who can bypass file permissions
			// on the remote host can use the agent through the socket.
			fmt.Fprintf(os.Stderr, "ssh-mosh: agent forwarding is on: whoever can bypass file permissions on %s (root) can use your agent's keys while the session lasts\n", host)
		}
	}
	if len(p.specs) > 0 {
		fw, err := forward.Start(side.link, p.specs, forward.Options{
			GatewayPorts:         p.gatewayPorts,
			ExitOnForwardFailure: p.exitOnFail,
			Notice:               f.notice,
			StatusChanged:        side.notify,
		})
		if err != nil {
			f.close(nil)
			return nil, err
		}
		f.fw = fw
	}
	return f, nil
}

// authSock is the remote shell's SSH_AUTH_SOCK, "" without an agent.
func (f *forwards) authSock() string {
	if f == nil || f.agent == nil {
		return ""
	}
	return f.agent.Path()
}

// notice prints at once before the session and after it, and keeps what
// comes during it for the end (the terminal is the session's).
func (f *forwards) notice(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live {
		f.later = append(f.later, msg)
		return
	}
	fmt.Fprintln(os.Stderr, "ssh-mosh: "+msg)
}

func (f *forwards) setLive(live bool) {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.live = live
	f.mu.Unlock()
}

// status is the notification bar's word on the forwards: being
// re-established while the link re-dials or remote forwards are requested
// again, nothing otherwise.
func (f *forwards) status() string {
	if f.fw != nil {
		if st := f.fw.Status(); st != "" {
			return st
		}
	}
	return ""
}

// close stops every forward and removes the remote agent directory (over
// conn, when one is given and alive), then prints what waited and one line
// for forwards that could not be re-established.
func (f *forwards) close(conn *sshcfg.Conn) {
	if f == nil {
		return
	}
	if f.fw != nil {
		f.fw.Close()
	}
	if f.agent != nil {
		f.agent.Close()
		if conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = sshcfg.RunCommand(ctx, conn, f.agent.CleanupCommand(), nil, nil, nil)
			cancel()
		}
	}
	f.setLive(false)
	f.mu.Lock()
	later := f.later
	f.later = nil
	f.mu.Unlock()
	for _, l := range later {
		fmt.Fprintln(os.Stderr, "ssh-mosh: "+l)
	}
	if f.fw != nil {
		if failed := f.fw.Failed(); len(failed) > 0 {
			fmt.Fprintf(os.Stderr, "ssh-mosh: forwards that could not be re-established after reconnecting: %s\n", strings.Join(failed, ", "))
		}
	}
}
