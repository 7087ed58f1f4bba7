package sshmux

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// master starts a real sshd and a real OpenSSH master connected to it.
func master(t *testing.T) (sock string) {
	t.Helper()
	testenv.Short(t)
	dir := t.TempDir()
	key, pub := testenv.NewUserKey(t, dir, "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfg, _ := sshd.ClientConfig(t, "target", key)
	return testenv.StartSSHMaster(t, cfg, "target")
}

func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// A command runs on the master's connection with the descriptors given,
// its output and exit status come back, and its environment is what the
// request sent (sshd's AcceptEnv permitting) beside the master's
// connection (SSH_CONNECTION).
func TestRunOnRealMaster(t *testing.T) {
	sock := master(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, tc := range []struct {
		command string
		status  int
		out     string
	}{
		{"echo out-$((6*7)); echo err >&2; cat; exit 3", 3, "out-42\nerr\nin\n"},
		{"echo $SSH_CONNECTION | wc -w", 0, "4\n"},
	} {
		c, err := Dial(ctx, sock)
		if err != nil {
			t.Fatal(err)
		}
		if c.PID() <= 0 {
			t.Errorf("master pid %d", c.PID())
		}
		inR, inW := pipe(t)
		outR, outW := pipe(t)
		_, _ = inW.WriteString("in\n")
		inW.Close()
		got := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(outR)
			got <- string(b)
		}()
		status, err := c.Run(ctx, Session{Command: tc.command, Stdin: inR, Stdout: outW, Stderr: outW})
		outW.Close()
		c.Close()
		if err != nil || status != tc.status {
			t.Errorf("case %d: status %d, %v; want %d", i, status, err, tc.status)
		}
		if s := <-got; s != tc.out {
			t.Errorf("case %d: output %q, want %q", i, s, tc.out)
		}
	}
}

// A program that listens on the socket but says nothing is given up on at
// the context's deadline, in words.
func TestDialSilentListener(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "silent")
	ln, err := listenUnix(sock)
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, sock)
	if err == nil || errors.Is(err, ErrNoMaster) || !strings.HasSuffix(err.Error(), "does not answer as an ssh master: no reply in time") {
		t.Errorf("Dial: %v", err)
	}
}

// A socket no master listens on is ErrNoMaster, as is no socket at all.
func TestDialNoMaster(t *testing.T) {
	dir := t.TempDir()
	if _, err := Dial(context.Background(), filepath.Join(dir, "none")); !errors.Is(err, ErrNoMaster) {
		t.Errorf("no socket: %v", err)
	}
	sock := filepath.Join(dir, "stale")
	ln, err := listenUnix(sock)
	if err != nil {
		t.Skip(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Dial(context.Background(), sock); !errors.Is(err, ErrNoMaster) {
		t.Errorf("stale socket: %v", err)
	}
}

// A master that answers with something else than its hello, or with
// another protocol version, is refused with a reason.
func TestDialRefusesOddMasters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply []byte
		want  string
	}{
		{"wrong version", packet(appendU32(appendU32(nil, msgHello), 3)), "protocol 3"},
		{"no hello", packet(appendU32(appendU32(nil, msgAlive), 1)), "before its hello"},
		{"huge", appendU32(nil, maxPacket+1), "bytes"},
		{"truncated", packet([]byte{0, 0}), "truncated"},
		{"closed", nil, "does not answer as an ssh master: it closed the connection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := fakeMaster(t, tc.reply)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := Dial(ctx, sock)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dial: %v, want %q", err, tc.want)
			}
		})
	}
}

func packet(b []byte) []byte { return append(appendU32(nil, uint32(len(b))), b...) }

// FuzzReadMessage decodes whatever a master may send: a packet is read
// within its bound, and the getters never read past a message.
func FuzzReadMessage(f *testing.F) {
	f.Add(packet(appendU32(appendU32(nil, msgHello), protocolVersion)))
	f.Add(packet(appendString(appendU32(appendU32(nil, msgFailure), 1), "no")))
	f.Add(packet(appendU32(appendU32(appendU32(nil, msgExitMessage), 1), 3)))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := readPacket(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(m) > maxPacket {
			t.Fatalf("a message of %d bytes", len(m))
		}
		for range 8 {
			if _, err := m.str(); err != nil {
				break
			}
		}
		_ = m.reply(msgAlive, 1)
	})
}
