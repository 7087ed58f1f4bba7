package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/loginrec"
	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/session"
)

// loginNoticeWait bounds how long a new session's start waits for the
// listing of the user's other sessions (detachedNotice).
const loginNoticeWait = 300 * time.Millisecond

// runDaemon is the detached half: it reads its configuration from the pipe,
// takes over the bound socket and serves until the session ends.
func runDaemon() int {
	fd, err := strconv.Atoi(os.Getenv(daemonEnv))
	os.Unsetenv(daemonEnv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mosh-server: bad %s\n", daemonEnv)
		return 1
	}
	pipe := os.NewFile(uintptr(fd), "config")
	cfg, err := readConfig(pipe)
	pipe.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sockFile := os.NewFile(3, "udp")
	pc, err := net.FilePacketConn(sockFile)
	sockFile.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mosh-server: inheriting the UDP socket: %v\n", err)
		return 1
	}
	key, err := wire.ParseKey(cfg.Key)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mosh-server: %v\n", err)
		return 1
	}

	// A detached server must not die with the ssh session that started it
	// (SIGHUP) or on a closed pipe; it ends through its own rules. Not
	// signal.Ignore: SIG_IGN survives exec, so the user's shell and every
	// command in it would ignore SIGHUP and SIGPIPE (`yes | head` would
	// complain of a broken pipe, and a hang-up would not end the shell).
	// A caught signal reverts to the default in the child, as mosh-server
	// arranges by resetting both after forkpty. Notify never blocks on a
	// full channel, so this one, never read, swallows them.
	swallowed := make(chan os.Signal, 1)
	signal.Notify(swallowed, syscall.SIGHUP, syscall.SIGPIPE)
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)

	log := slog.New(slog.DiscardHandler)
	if cfg.Verbose > 0 {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		redirectStdio()
	}
	if tl, closeTrace, err := session.TraceLogFromEnv(); err != nil {
		log.Info("trace", "err", err)
	} else if tl != nil {
		defer closeTrace()
		log = tl
	}
	mtu := wire.MTUv4
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		mtu = wire.MTUv6
	}
	var path session.ServerPath
	udp := roam.NewServerPath(pc, mtu)
	path = udp
	if cfg.UnixSocket.Path != "" {
		mp, stop, err := withUnixSocket(udp, cfg.UnixSocket)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mosh-server: %v\n", err)
		} else {
			defer stop()
			path = mp
		}
	}
	defer udp.Close()
	ctl := make(chan session.ControlRequest)
	port := 0
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		port = a.Port
	}
	stopCtl, err := startControl(ctl, os.Getpid(), port, strings.Join(append([]string{cfg.Argv0}, cfg.Command[1:]...), " "), cfg.UnixSocket.Path, log)
	if err != nil {
		log.Info("no control socket: the session cannot be re-attached", "err", err)
	}
	defer stopCtl()
	// The other sessions are listed while the client connects: asking
	// them takes a round over each socket, and the loop must not wait for
	// a hung one.
	notice := make(chan string, 1)
	if cfg.Motd {
		go func() { notice <- detachedNotice(listSessions(controlDirs(os.Getenv, os.Getuid()), os.Getpid())) }()
	}
	loginNotice := func() string {
		select {
		case n := <-notice:
			return n
		case <-time.After(loginNoticeWait):
			return ""
		}
	}
	session.OneProc()
	// Half the client's warm-up: a host may run hundreds of sessions, and
	// what is warmed stays resident for the session. Typing 700 keys, the
	// server then faulted 0.6 times per key (0.17 with 4 MiB, 2.0 with
	// none), all of it in the first few hundred keys.
	session.WarmHeap(2 << 20)
	err = session.Serve(context.Background(), session.ServerConfig{
		Path:            path,
		Key:             key,
		Width:           cfg.Width,
		Height:          cfg.Height,
		Path0:           cfg.Command[0],
		Argv:            append([]string{cfg.Argv0}, cfg.Command[1:]...),
		Env:             cfg.Env,
		Dir:             cfg.Dir,
		Motd:            cfg.Motd,
		LoginNotice:     loginNotice,
		NetworkTimeout:  cfg.NetworkTimeout,
		SignalTimeout:   cfg.SignalTimeout,
		NoClientTimeout: cfg.NoClientTimeout,
		Scrollback:      cfg.Scrollback,
		Signals:         sigs,
		Control:         ctl,
		Records:         loginRecords(),
		Log:             log,
	})
	if err != nil {
		log.Info("session ended", "err", err)
		fmt.Fprintf(os.Stderr, "mosh-server: %v\n", err)
	}
	fmt.Fprint(os.Stdout, "\n[mosh-server is exiting.]\n")
	return 0
}

// redirectStdio points stdin, stdout and stderr at /dev/null, so the
// daemon holds nothing of the ssh session open (sshd waits for them).
func redirectStdio() {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return
	}
	nfd := int(null.Fd())
	for _, fd := range []int{0, 1, 2} {
		_ = dupOnto(nfd, fd)
	}
	// When 0, 1 or 2 was closed, /dev/null itself landed there: keep it.
	if nfd > 2 {
		null.Close()
	}
}

// loginRecords keeps the session's utmp entry and syslog lines as
// mosh-server does (package loginrec), with whatever of the two the host
// has.
func loginRecords() *loginrec.Recorder {
	cfg := loginrec.Config{PID: os.Getpid(), Log: loginrec.OpenSyslog(), StreamHost: sshClientIP(os.Getenv("SSH_CONNECTION"))}
	if h, ok := loginrec.FindHelper(); ok {
		cfg.Helper = &h
	}
	cfg.User = strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil {
		cfg.User = u.Username
	}
	return loginrec.New(cfg)
}

// sshClientIP is the client's address in $SSH_CONNECTION (its first
// field), without an IPv4-mapped prefix; "" if there is none.
func sshClientIP(conn string) string {
	f := strings.Fields(conn)
	if len(f) < 4 {
		return ""
	}
	ip := net.ParseIP(f[0])
	if ip == nil {
		return ""
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.String()
}
