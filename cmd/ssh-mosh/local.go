package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/locale"
	"github.com/ssh-mosh/ssh-mosh/internal/netem"
	"github.com/ssh-mosh/ssh-mosh/internal/termcolors"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/session"
)

// runLocal is `ssh-mosh --local [--delay D] [--loss P] [command...]`: our
// server, in this process, runs the user's shell (or the command) on a pty,
// and the client attaches to it over loopback UDP — through internal/netem's
// impairment proxy when a delay or loss is asked for. Nothing outlives it.
func runLocal(o *Options, args []string) int {
	s, err := settingsFromEnv(o.Predict)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		return 255
	}
	s.overwrite = s.overwrite || o.PredictOverwrite
	s.noInit = s.noInit || o.NoInit
	s.sshMosh = true
	s.scrollback = max(o.Scrollback, 0)
	s.log = o.clog

	key, err := wire.NewKey()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		return 1
	}
	srv, err := listenLoopback(o.Family)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: --local: %v\n", err)
		return 1
	}
	defer srv.Close()
	target := srv.LocalAddr().(*net.UDPAddr)
	verbosef(o, "--local: server on %s", target)

	var status func() string
	if o.Delay > 0 || o.Loss > 0 {
		proxy, err := netem.NewUDPProxy(net.JoinHostPort(target.IP.String(), "0"), target, netem.Config{Delay: o.Delay, Loss: o.Loss, Seed: time.Now().UnixNano()})
		if err != nil {
			fmt.Fprintf(os.Stderr, "ssh-mosh: --local: starting the impairment proxy: %v\n", err)
			return 1
		}
		defer proxy.Close()
		target = proxy.Addr()
	}

	choice, err := locale.Choose(os.Environ(), nil, locale.Installed())
	if err != nil {
		fmt.Fprintf(os.Stderr, "ssh-mosh: %v\n", err)
		return 1
	}
	if choice.Notice != "" {
		fmt.Fprintln(os.Stderr, choice.Notice)
	}
	home, _ := os.UserHomeDir()
	path0, argv, motd := localCommand(args)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- session.Serve(ctx, session.ServerConfig{
			Path:   srv,
			Key:    key,
			Width:  80,
			Height: 24,
			Path0:  path0,
			Argv:   argv,
			Env:    session.ChildEnv(choice.Env, termcolors.Count(os.Getenv), home),
			Dir:    home,
			Motd:   motd,
			// The client offers scrollback only with --scrollback > 0.
			Scrollback: max(o.Scrollback, 0),
		})
	}()
	code := runSession(ctx, target, key, s, status)
	cancel()
	<-done
	return code
}

// localLoopbacks are the loopback addresses --local serves on for a
// --family, in the order tried: the family asked for, or IPv4 first as
// mosh's default (prefer-inet) has it.
func localLoopbacks(family string) []string {
	switch family {
	case "inet":
		return []string{"127.0.0.1"}
	case "inet6":
		return []string{"::1"}
	case "prefer-inet6":
		return []string{"::1", "127.0.0.1"}
	}
	return []string{"127.0.0.1", "::1"}
}

// listenLoopback binds the --local server to the first loopback address of
// family that binds. roam.ListenUDP falls back to 0.0.0.0, which is not
// the family asked for: such a socket is refused here.
func listenLoopback(family string) (*roam.UDPServer, error) {
	var errs []error
	for _, ip := range localLoopbacks(family) {
		srv, err := roam.ListenUDP(ip, 0, 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if got := srv.LocalAddr().(*net.UDPAddr).IP; !got.Equal(net.ParseIP(ip)) {
			_ = srv.Close()
			errs = append(errs, fmt.Errorf("cannot bind %s (got %s)", ip, got))
			continue
		}
		return srv, nil
	}
	return nil, errors.Join(errs...)
}

// localCommand is the command to run: the given words through the shell
// (as ssh runs a remote command), or the user's login shell.
func localCommand(args []string) (path0 string, argv []string, motd bool) {
	shell := os.Getenv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	if len(args) > 0 {
		cmd := args[0]
		for _, a := range args[1:] {
			cmd += " " + a
		}
		return shell, []string{shell, "-c", cmd}, false
	}
	return shell, []string{"-" + filepath.Base(shell)}, false
}
