package sshmux

import (
	"net"
	"path/filepath"
	"testing"
)

func listenUnix(path string) (*net.UnixListener, error) {
	return net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
}

// fakeMaster listens on a socket and answers the first packet it reads
// with reply, then closes.
func fakeMaster(t *testing.T, reply []byte) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "m")
	ln, err := listenUnix(sock)
	if err != nil {
		t.Skip(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := readPacket(c); err != nil {
			return
		}
		_, _ = c.Write(reply)
	}()
	return sock
}
