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
	"time"

	"github.com/ssh-mosh/ssh-mosh/datapath"
	"github.com/ssh-mosh/ssh-mosh/roam"
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

// Socket names. Two servers of one user may hold the same UDP port on
// different local addresses (dual-stack, multi-homed, behind a jump host),
// so the name carries the address the UDP socket is bound to as well as
// the port: PORT-ADDR.sock. A name can still be taken, by a socket that
// outlived its server (a crash) or by a live server of another session
// (a wildcard bind, a reused port): a socket that answers is never
// touched, the next name (PORT-ADDR-2.sock, …) is tried instead; one that
// refuses connections is stale and is replaced. Each server removes only
// the file it created (same device and inode, and no longer answering).
// The choice and the removal happen under an flock on dir/.lock, so two
// servers starting or ending at once cannot remove each other's socket
// between a probe and an unlink.
// ssh-mosh learns the path from the UnixSocketMark line, never by guessing.

// maxSocketNames bounds the names tried for one port and address.
const maxSocketNames = 64

// probeTimeout bounds the connect that tells a live socket from a stale one.
const probeTimeout = time.Second

// socketName is the file name of the n-th choice (n from 1) for a server
// bound to addr.
func socketName(addr *net.UDPAddr, n int) string {
	ip := "any"
	if addr.IP != nil && !addr.IP.IsUnspecified() {
		ip = addr.IP.String()
	}
	if addr.Zone != "" {
		ip += "%" + addr.Zone
	}
	// Keep the name to characters that need no quoting anywhere.
	ip = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '%' {
			return r
		}
		return '_'
	}, ip)
	name := strconv.Itoa(addr.Port) + "-" + ip
	if n > 1 {
		name += "-" + strconv.Itoa(n)
	}
	return name + ".sock"
}

// socketFile identifies the socket file a server created, so that it
// removes that file and no other that took its name since.
type socketFile struct {
	Path     string
	Dev, Ino uint64
}

// flock takes an exclusive lock on f, waiting for it (BSD flock: the
// same call on Linux, macOS and the BSDs).
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// lockDir takes the directory's lock; the returned function releases it.
func lockDir(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("unix socket directory lock: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("unix socket directory lock: %w", err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// answers reports whether something accepts connections on path. Only a
// refused connection (nobody listening) counts as no: a full backlog or a
// timeout is a live server too busy to accept at once.
func answers(path string) bool {
	c, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		c.Close()
		return true
	}
	return !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, os.ErrNotExist)
}

// listenUnix listens (0600) on the first free socket name in dir for a
// server whose UDP socket is bound to addr.
func listenUnix(dir string, addr *net.UDPAddr) (*net.UnixListener, socketFile, error) {
	if err := ensurePrivateDir(dir); err != nil {
		return nil, socketFile{}, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, socketFile{}, err
	}
	defer unlock()
	for n := 1; n <= maxSocketNames; n++ {
		path := filepath.Join(dir, socketName(addr, n))
		ln, sf, err := listenPrivate(path)
		if errors.Is(err, errSocketInUse) {
			continue // not ours to replace: try the next name
		}
		if err != nil {
			return nil, socketFile{}, fmt.Errorf("unix socket: %w", err)
		}
		return ln, sf, nil
	}
	return nil, socketFile{}, fmt.Errorf("unix socket: %d names for port %d in %s are all in use", maxSocketNames, addr.Port, dir)
}

// created identifies the socket file just made at path.
func created(path string) (socketFile, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return socketFile{}, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return socketFile{}, fmt.Errorf("%s: no device and inode", path)
	}
	return socketFile{Path: path, Dev: uint64(sys.Dev), Ino: uint64(sys.Ino)}, nil
}

// remove deletes the socket file if it is still the one this server
// created: another server may have replaced it once ours stopped
// answering, and that one's file stays. Call it after closing the
// listener. The device and inode are not enough on their own (ext4 gives
// a file made right after an unlink the inode just freed), so a file that
// answers is kept too: ours no longer can.
func (sf socketFile) remove() {
	if sf.Path == "" {
		return
	}
	unlock, err := lockDir(filepath.Dir(sf.Path))
	if err != nil {
		return
	}
	defer unlock()
	now, err := created(sf.Path)
	if err != nil || now != sf || answers(sf.Path) {
		return
	}
	_ = os.Remove(sf.Path)
}

// serveUnix accepts streams on ln and adds each to mp, until ln is closed.
// Beyond maxUnixStreams, the oldest stream that is not the active one goes.
func serveUnix(ln net.Listener, mp *datapath.Multipath) {
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
		id, err := mp.Add(datapath.NewStreamPath(c, datapath.StreamAddr{Name: "unix", ID: n}))
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
// the multipath (and udp with it) and removes the socket file if it is
// still the one sf names.
func withUnixSocket(udp *roam.UDPServer, sf socketFile) (*datapath.Multipath, func(), error) {
	f := os.NewFile(unixListenerFD, "unix")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		sf.remove()
		return nil, nil, fmt.Errorf("inheriting the unix socket: %w", err)
	}
	mp := datapath.NewMultipath()
	if _, err := mp.Add(udp); err != nil {
		ln.Close()
		sf.remove()
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
		sf.remove()
	}
	return mp, stop, nil
}

// errSocketInUse: the path is a socket that a live server answers on, or
// not a socket at all; either way not ours to replace.
var errSocketInUse = errors.New("socket in use")

// listenPrivate listens on a unix socket at path, mode 0600, replacing a
// stale socket file whose server is gone, and records the file's identity
// so that only its owner removes it. The file outlives the listener: the
// daemon removes it when the session ends (the parent that listened hands
// the listener over and exits).
func listenPrivate(path string) (*net.UnixListener, socketFile, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if errors.Is(err, syscall.EADDRINUSE) {
		st, serr := os.Lstat(path)
		if serr != nil || st.Mode()&os.ModeSocket == 0 || answers(path) {
			return nil, socketFile{}, errSocketInUse
		}
		_ = os.Remove(path) // stale: its server is gone
		ln, err = net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	}
	if err != nil {
		return nil, socketFile{}, err
	}
	ln.SetUnlinkOnClose(false)
	sf, err := created(path)
	if err == nil {
		err = os.Chmod(path, 0o600)
	}
	if err != nil {
		ln.Close()
		_ = os.Remove(path)
		return nil, socketFile{}, err
	}
	return ln, sf, nil
}
