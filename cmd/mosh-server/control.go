package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ssh-mosh/ssh-mosh/session"
)

// The control socket: every session of this mosh-server listens on a unix
// socket named ID.sock (ID is the daemon's pid) in a private per-user
// directory, so that a later login of the same user can list the
// sessions, take one over with a fresh key (re-attach after the client
// died) or end it. Only the same uid is served: the directory is 0700 and
// each connection's peer credentials are checked. Nothing secret is
// written to disk; a takeover's new key only travels back over the
// socket to the `mosh-server attach` that asked, which prints it on the
// SSH channel as the ordinary MOSH CONNECT line.

// controlTimeout bounds one request's exchange, so that a stuck peer
// cannot hold the (sequential) accept loop.
const controlTimeout = 5 * time.Second

// Requests, one line each.
const (
	reqInfo     = "info"
	reqTakeover = "takeover"
	reqKill     = "kill"
)

// parseRequest reads one request line.
func parseRequest(line string) (session.ControlKind, error) {
	switch strings.TrimRight(line, "\r\n") {
	case reqInfo:
		return session.ControlInfo, nil
	case reqTakeover:
		return session.ControlTakeover, nil
	case reqKill:
		return session.ControlKill, nil
	}
	return 0, fmt.Errorf("unknown control request %.40q", line)
}

// controlDirs are the directories that may hold this user's control
// sockets, the preferred one first: $XDG_RUNTIME_DIR/ssh-mosh-sessions
// when XDG_RUNTIME_DIR is a directory of ours that only we can enter,
// then TMPDIR's ssh-mosh-sessions-UID (a login with a different
// environment may have started the session there).
func controlDirs(env func(string) string, uid int) []string {
	var dirs []string
	if x := env("XDG_RUNTIME_DIR"); x != "" && filepath.IsAbs(x) && checkPrivateDir(x, uid) == nil {
		dirs = append(dirs, filepath.Join(x, "ssh-mosh-sessions"))
	}
	return append(dirs, filepath.Join(os.TempDir(), "ssh-mosh-sessions-"+strconv.Itoa(uid)))
}

// checkPrivateDir reports why dir is not a real directory (a symlink is
// not followed) owned by uid that nobody else can enter.
func checkPrivateDir(dir string, uid int) error {
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	switch {
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case !ok || int(sys.Uid) != uid:
		return fmt.Errorf("%s belongs to another user", dir)
	case st.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s is open to other users (mode %04o): chmod 700 it", dir, st.Mode().Perm())
	}
	return nil
}

// makePrivateDir creates dir with mode 0700 if it is missing and checks
// it: in /tmp another user could have made it first.
func makePrivateDir(dir string, uid int) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("session directory: %w", err)
	}
	if err := checkPrivateDir(dir, uid); err != nil {
		return fmt.Errorf("session directory: %w", err)
	}
	return nil
}

// listenControl listens on dir/ID.sock. A file left there by a dead
// server (a crash, and the pid reused) is replaced; one that answers is
// not.
func listenControl(dir string, id int) (*net.UnixListener, socketFile, error) {
	if err := makePrivateDir(dir, os.Getuid()); err != nil {
		return nil, socketFile{}, err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, socketFile{}, err
	}
	defer unlock()
	path := filepath.Join(dir, strconv.Itoa(id)+".sock")
	ln, sf, err := listenPrivate(path)
	if errors.Is(err, errSocketInUse) {
		return nil, socketFile{}, fmt.Errorf("control socket %s is in use", path)
	}
	if err != nil {
		return nil, socketFile{}, fmt.Errorf("control socket: %w", err)
	}
	return ln, sf, nil
}

// sessionLine is one session as the control socket describes it (JSON,
// one line) and `mosh-server sessions` prints it.
type sessionLine struct {
	ID          int       `json:"id"`
	Attached    bool      `json:"attached"`
	Started     time.Time `json:"started"`
	LastContact time.Time `json:"last_contact"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Command     string    `json:"command"`
}

// controlServer answers the control socket for one session.
type controlServer struct {
	ln      net.Listener
	ctl     chan<- session.ControlRequest
	ended   <-chan struct{} // closed when the session loop returned
	id      int
	command string
	port    int
	unix    string // the datagram socket's path, "" if none
	uid     int
	log     *slog.Logger
}

// serve accepts and answers, one connection at a time, until ln closes.
func (cs *controlServer) serve() {
	for {
		c, err := cs.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		cs.handle(c)
		c.Close()
	}
}

// handle answers one connection: only the same uid is served.
func (cs *controlServer) handle(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(controlTimeout))
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return
	}
	rc, err := uc.SyscallConn()
	if err != nil {
		return
	}
	if err := checkPeer(rc, cs.uid); err != nil {
		cs.log.Info("control connection refused", "err", err)
		return
	}
	line, err := bufio.NewReader(&limitedReader{r: c, n: 128}).ReadString('\n')
	if err != nil {
		return
	}
	kind, err := parseRequest(line)
	if err != nil {
		fmt.Fprintf(c, "ERROR %v\n", err)
		return
	}
	reply := make(chan session.ControlReply, 1)
	select {
	case cs.ctl <- session.ControlRequest{Kind: kind, Reply: reply}:
	case <-cs.ended:
		fmt.Fprintln(c, "ERROR the session ended")
		return
	}
	r := <-reply
	if r.Err != nil {
		fmt.Fprintf(c, "ERROR %v\n", r.Err)
		return
	}
	switch kind {
	case session.ControlInfo:
		b, _ := json.Marshal(sessionLine{ID: cs.id, Attached: r.Info.Attached, Started: r.Info.Started.UTC(),
			LastContact: r.Info.LastContact.UTC(), Width: r.Info.Width, Height: r.Info.Height, Command: cs.command})
		fmt.Fprintf(c, "%s\n", b)
	case session.ControlTakeover:
		if cs.unix != "" {
			fmt.Fprintf(c, "%s%s\n", unixSocketMark, cs.unix)
		}
		fmt.Fprintf(c, "MOSH CONNECT %d %s\n", cs.port, r.Key.String())
	case session.ControlKill:
		fmt.Fprintln(c, "OK")
	}
}

// checkPeer refuses a peer of another uid.
func checkPeer(rc syscall.RawConn, uid int) error {
	peer, err := peerUID(rc)
	if err != nil {
		return err
	}
	if peer != uid {
		return fmt.Errorf("peer uid %d is not %d", peer, uid)
	}
	return nil
}

// limitedReader ends a request that runs on without a newline.
type limitedReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("request too long")
	}
	if len(b) > l.n {
		b = b[:l.n]
	}
	n, err := l.r.Read(b)
	l.n -= n
	return n, err
}

// startControl opens the session's control socket and answers it until
// the returned stop runs (after the session loop returned). Without a
// socket the session still runs: the error says why it cannot be
// re-attached.
func startControl(ctl chan<- session.ControlRequest, id, port int, command, unixPath string, log *slog.Logger) (stop func(), err error) {
	var ln *net.UnixListener
	var sf socketFile
	for _, dir := range controlDirs(os.Getenv, os.Getuid()) {
		ln, sf, err = listenControl(dir, id)
		if err == nil {
			break
		}
	}
	if err != nil {
		return func() {}, err
	}
	ended := make(chan struct{})
	cs := &controlServer{ln: ln, ctl: ctl, ended: ended, id: id, command: command, port: port, unix: unixPath, uid: os.Getuid(), log: log}
	done := make(chan struct{})
	go func() {
		defer close(done)
		cs.serve()
	}()
	return func() {
		close(ended)
		ln.Close()
		<-done
		sf.remove()
	}, nil
}
