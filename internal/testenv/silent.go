package testenv

import (
	"io"
	"net"
	"testing"
	"time"
)

// SilentListener accepts TCP connections on 127.0.0.1 and never writes to
// them (a server stuck before its SSH banner, a tarpit), until the test
// ends. It returns the port.
func SilentListener(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Reading what the client sends keeps each connection open, silent,
	// until cleanup closes it.
	Serve(t, ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	return ln.Addr().(*net.TCPAddr).Port
}

// ClosingListener accepts TCP connections on 127.0.0.1, writes greeting to
// each, waits for the client's first line (its SSH identification) and
// ends the connection: closed, or reset when reset is set. As a web server
// answers an SSH client (greeting "HTTP/1.1 400 Bad Request\r\n\r\n"), or
// an sshd that drops a connection in the key exchange (greeting
// "SSH-2.0-…\r\n"). It returns the port; it stops when the test ends.
func ClosingListener(t testing.TB, greeting string, reset bool) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	Serve(t, ln, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte(greeting)); err != nil {
			return
		}
		b := make([]byte, 1)
		for {
			if _, err := c.Read(b); err != nil || b[0] == '\n' {
				break
			}
		}
		if reset {
			_ = c.(*net.TCPConn).SetLinger(0)
			return
		}
		// A close with the client's next bytes unread would be a reset:
		// end our side, then drain until the client closes its own.
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c)
	})
	return ln.Addr().(*net.TCPAddr).Port
}
