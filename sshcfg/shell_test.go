package sshcfg

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

func plainConn(t *testing.T) *Conn {
	t.Helper()
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	priv, pub := testenv.NewUserKey(t, "", "")
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
	cfgPath, _ := sshd.ClientConfig(t, "target", priv)
	return mustDial(t, resolveFor(t, cfgPath, "target"), FuncPrompter{})
}

func TestRunCommand(t *testing.T) {
	conn := plainConn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var out, errOut bytes.Buffer
	st, err := RunCommand(ctx, conn, "echo to-out; echo to-err >&2; exit 3", strings.NewReader(""), &out, &errOut)
	// The login shell's rc files may write to stderr before the command
	// runs (on the test machines root's ~/.bashrc runs pyenv, whose rehash
	// complains when two logins race for its lock), as they would for ssh.
	if err != nil || st != 3 || out.String() != "to-out\n" || !strings.HasSuffix(errOut.String(), "to-err\n") {
		t.Fatalf("status %d err %v out %q err %q", st, err, out.String(), errOut.String())
	}

	data := make([]byte, 4<<20)
	rand.Read(data)
	out.Reset()
	st, err = RunCommand(ctx, conn, "cat", bytes.NewReader(data), &out, &errOut)
	if err != nil || st != 0 {
		t.Fatalf("cat: status %d err %v", st, err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("4 MiB through cat: got %d bytes, not identical", out.Len())
	}

	// A lost connection is 255 with an error, as ssh.
	conn.Close()
	st, err = RunCommand(ctx, conn, "true", nil, &out, &errOut)
	if err == nil || st != 255 {
		t.Fatalf("closed connection: status %d err %v", st, err)
	}
}

func TestInteractiveShellPipes(t *testing.T) {
	conn := plainConn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// stdout and stderr are copied by two goroutines: one locked buffer.
	var out syncBuffer
	st, err := InteractiveShell(ctx, conn, "vt100", strings.NewReader(""), &out, &out, `tty; echo "term=$TERM"; stty size; exit 7`)
	if err != nil || st != 7 {
		t.Fatalf("status %d err %v output %q", st, err, out.String())
	}
	got := strings.ReplaceAll(out.String(), "\r", "")
	for _, want := range []string{"/dev/pts/", "term=vt100\n", "24 80\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
