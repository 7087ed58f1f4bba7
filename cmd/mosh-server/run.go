package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/locale"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/session"
	mterm "github.com/ssh-mosh/ssh-mosh/term"
	"golang.org/x/term"
)

// run is the foreground half: everything up to the detach.
func run(argv []string, stdin, stdout, stderr *os.File) int {
	argv0 := "mosh-server"
	if len(argv) > 0 {
		argv0 = argv[0]
	}
	o, err := parseArgs(argv[1:], os.Getenv("SSH_CONNECTION"))
	if err != nil {
		var pe *portRangeError
		if errors.As(err, &pe) {
			fmt.Fprintln(stderr, pe.detail)
		}
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		printUsage(stderr, argv0)
		return 1
	}
	if o.help {
		printUsage(stdout, argv0)
		return 0
	}
	if o.version {
		fmt.Fprint(stdout, banner())
		return 0
	}
	for _, w := range o.warnings {
		fmt.Fprintln(stderr, w)
	}
	if o.badOption {
		printUsage(stderr, argv0)
	}

	var wantUnix bool
	o.localeVars, wantUnix = takeUnixSocketRequest(o.localeVars, os.Getenv)
	choice, err := locale.Choose(os.Environ(), o.localeVars, locale.Installed())
	if err != nil {
		fmt.Fprintf(stderr, "mosh-server: %v\n", err)
		return 1
	}
	if choice.Notice != "" {
		fmt.Fprintln(stderr, choice.Notice)
	}

	cfg := &daemonConfig{
		Verbose:        o.verbose,
		NetworkTimeout: parseTimeout("MOSH_SERVER_NETWORK_TMOUT", stderr),
		SignalTimeout:  parseTimeout("MOSH_SERVER_SIGNAL_TMOUT", stderr),
		Scrollback:     mterm.DefaultHistoryLines,
	}
	if o.scrollbackGiven {
		cfg.Scrollback = o.scrollback
	}
	if v := os.Getenv(noClientTimeoutEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			cfg.NoClientTimeout = d
		}
	}
	cfg.Command, cfg.Argv0, cfg.Motd, err = childCommand(o.command)
	if err != nil {
		fmt.Fprintf(stderr, "mosh-server: %v\n", err)
		return 1
	}
	cfg.Dir = homeDir()
	cfg.Env = session.ChildEnv(choice.Env, o.colors, cfg.Dir, daemonEnv, noClientTimeoutEnv, unixSocketVar)
	cfg.Width, cfg.Height = 80, 24
	if w, h, err := term.GetSize(int(stdin.Fd())); err == nil && w > 0 && h > 0 {
		cfg.Width, cfg.Height = w, h
	}

	// roam's binding, so the socket the daemon inherits already carries
	// the ECN and path-MTU options a server socket needs.
	conn, _, err := roam.BindUDP(o.ip, o.portLow, o.portHigh)
	if err != nil {
		fmt.Fprintf(stderr, "mosh-server: %v\n", err)
		return 1
	}
	defer conn.Close()
	key, err := wire.NewKey()
	if err != nil {
		fmt.Fprintf(stderr, "mosh-server: %v\n", err)
		return 1
	}
	cfg.Key = key.String()

	port := conn.LocalAddr().(*net.UDPAddr).Port
	var unixLn *net.UnixListener
	if wantUnix {
		// Without the socket the session still works over UDP (or a
		// relay): say why, and carry on.
		ln, sf, err := listenUnix(unixSocketDir(os.Getenv), conn.LocalAddr().(*net.UDPAddr))
		if err != nil {
			fmt.Fprintf(stderr, "mosh-server: %v\n", err)
		} else {
			defer ln.Close()
			unixLn, cfg.UnixSocket = ln, sf
		}
	}

	// Typeahead echoed by a pty could glue onto the MOSH CONNECT line; mosh
	// starts it on a fresh line in that case, and so do we.
	if term.IsTerminal(int(stdin.Fd())) {
		fmt.Fprint(stdout, "\r\n\n")
	}
	if cfg.UnixSocket.Path != "" {
		fmt.Fprintf(stdout, "%s%s\n", unixSocketMark, cfg.UnixSocket.Path)
	}
	fmt.Fprintf(stdout, "MOSH CONNECT %d %s\n", port, cfg.Key)

	pid, err := detach(conn, unixLn, cfg, stderr)
	if err != nil {
		cfg.UnixSocket.remove()
		fmt.Fprintf(stderr, "mosh-server: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "\n%s\n[mosh-server detached, pid = %d]\n", banner(), pid)
	return 0
}

// detach starts the daemon: this same binary, in a new session, with the
// bound socket as fd 3, the configuration pipe as fd 4 and the unix socket
// listener, if any, as fd 5.
func detach(conn *net.UDPConn, unixLn *net.UnixListener, cfg *daemonConfig, stderr *os.File) (int, error) {
	sock, err := conn.File()
	if err != nil {
		return 0, fmt.Errorf("passing the UDP socket to the daemon: %w", err)
	}
	defer sock.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("daemon configuration pipe: %w", err)
	}
	defer pr.Close()
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("finding our own binary: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Args = []string{"mosh-server"}
	cmd.Env = append(os.Environ(), daemonEnv+"=4")
	cmd.ExtraFiles = []*os.File{sock, pr}
	if unixLn != nil {
		lf, err := unixLn.File()
		if err != nil {
			return 0, fmt.Errorf("passing the unix socket to the daemon: %w", err)
		}
		defer lf.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, lf)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if cfg.Verbose > 0 {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting the daemon: %w", err)
	}
	pid := cmd.Process.Pid
	err = writeConfig(pw, cfg)
	pw.Close()
	if err != nil {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		return 0, fmt.Errorf("configuring the daemon: %w", err)
	}
	// The daemon outlives us; release it so no zombie is left to reap.
	_ = cmd.Process.Release()
	return pid, nil
}

// childCommand returns the program to run: the given command, or the user's
// login shell ($SHELL, else the passwd entry, else /bin/sh) with argv[0]
// "-name" and the motd, as mosh-server does.
func childCommand(command []string) (argv []string, argv0 string, motd bool, err error) {
	if len(command) > 0 {
		return command, command[0], false, nil
	}
	shell := os.Getenv("SHELL")
	if shell == "" {
		shell = passwdShell()
	}
	if shell == "" {
		shell = "/bin/sh"
	}
	return []string{shell}, "-" + filepath.Base(shell), true, nil
}

func passwdShell() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 7 && (f[0] == u.Username || f[2] == u.Uid) {
			return f[6]
		}
	}
	return ""
}

func homeDir() string {
	if h := os.Getenv("HOME"); h != "" {
		return h
	}
	if u, err := user.Current(); err == nil {
		return u.HomeDir
	}
	return ""
}
