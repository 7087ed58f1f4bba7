package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/session"
)

// The unix socket: when ssh-mosh asks (`-l SSH_MOSH_UNIX_SOCKET=1`, see
// sshcfg.UnixSocketVar; or the same variable in the environment), the
// server also listens on a unix socket that only its user can reach, and
// prints `MOSH SSH-MOSH-SOCKET <path>` before MOSH CONNECT. ssh-mosh then
// carries the session's datagrams over a direct-streamlocal SSH channel to
// it when UDP does not get through. The request rides on -l because that
// is the one option the stock mosh-server accepts with any NAME=VALUE and
// ignores harmlessly (it only sets it in its environment, and only when
// its own locale is not UTF-8); the mosh wrapper never prints the line,
// since only ssh-mosh asks for it.

// unixSocketVar is sshcfg.UnixSocketVar (not imported: this command stays
// free of the SSH client code).
const unixSocketVar = "SSH_MOSH_UNIX_SOCKET"

// unixSocketMark is sshcfg.UnixSocketMark.
const unixSocketMark = "MOSH SSH-MOSH-SOCKET "

// maxUnixStreams bounds the streams a session keeps: each re-dial of the
// client brings one, and the old one may linger until its SSH connection
// times out.
const maxUnixStreams = 4

// takeUnixSocketRequest removes the request from the -l values and reports
// whether it was there (or set in env).
func takeUnixSocketRequest(localeVars []string, env func(string) string) (rest []string, want bool) {
	for _, kv := range localeVars {
		if name, val, _ := strings.Cut(kv, "="); name == unixSocketVar {
			want = want || val == "1"
			continue
		}
		rest = append(rest, kv)
	}
	return rest, want || env(unixSocketVar) == "1"
}

// unixSocketDir is where the sockets live: $XDG_RUNTIME_DIR/ssh-mosh (a
// per-user tmpfs where there is one), else /tmp/ssh-mosh-UID.
func unixSocketDir(env func(string) string) string {
	if d := env("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return filepath.Join(d, "ssh-mosh")
		}
	}
	return filepath.Join(os.TempDir(), "ssh-mosh-"+strconv.Itoa(os.Getuid()))
}

// ensurePrivateDir makes dir (0700) or checks that the existing one is a
// real directory of ours that nobody else can enter: in /tmp, another user
// could have made it first.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("unix socket directory: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("unix socket directory: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Getuid() {
		return fmt.Errorf("unix socket directory %s is not a directory of ours", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("unix socket directory: %w", err)
		}
	}
	return nil
}

// listenUnix listens on dir/PORT.sock (0600). A file of that name is stale:
// a live server of this user would hold the UDP port.
func listenUnix(dir string, port int) (*net.UnixListener, string, error) {
	if err := ensurePrivateDir(dir); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, strconv.Itoa(port)+".sock")
	_ = os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, "", fmt.Errorf("unix socket: %w", err)
	}
	// The daemon removes the file when the session ends, not the listener
	// (the parent hands it over and exits).
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		_ = os.Remove(path)
		return nil, "", fmt.Errorf("unix socket: %w", err)
	}
	return ln, path, nil
}

// serveUnix accepts streams on ln and adds each to mp, until ln is closed.
// Beyond maxUnixStreams, the oldest stream that is not the active one goes.
func serveUnix(ln net.Listener, mp *session.Multipath) {
	var ids []uint64
	var n uint64
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		n++
		id, err := mp.Add(session.NewStreamPath(c, session.StreamAddr{Name: "unix", ID: n}))
		if err != nil {
			return
		}
		live := mp.Members()
		kept := ids[:0]
		for _, old := range ids {
			for _, l := range live {
				if l == old {
					kept = append(kept, old)
					break
				}
			}
		}
		ids = append(kept, id)
		for len(ids) > maxUnixStreams {
			victim := 0
			if ids[0] == mp.Active() {
				victim = 1
			}
			mp.Remove(ids[victim])
			ids = append(ids[:victim], ids[victim+1:]...)
		}
	}
}

// unixListenerFD is where the daemon finds the inherited unix listener.
const unixListenerFD = 5

// withUnixSocket puts the UDP path and the inherited unix listener into one
// Multipath. stop closes the listener, waits for its accept loop, closes
// the multipath (and udp with it) and removes the socket file.
func withUnixSocket(udp *roam.UDPServer, path string) (*session.Multipath, func(), error) {
	f := os.NewFile(unixListenerFD, "unix")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		_ = os.Remove(path)
		return nil, nil, fmt.Errorf("inheriting the unix socket: %w", err)
	}
	mp := session.NewMultipath()
	if _, err := mp.Add(udp); err != nil {
		ln.Close()
		_ = os.Remove(path)
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveUnix(ln, mp)
	}()
	stop := func() {
		ln.Close()
		<-done
		_ = mp.Close()
		_ = os.Remove(path)
	}
	return mp, stop, nil
}
