package testenv

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// ServeHTTP serves body to every request on a loopback port in the test
// process until the test ends, and returns the port.
func ServeHTTP(t testing.TB, body string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// HTTPGet fetches url on a new connection (no keep-alive, so every call
// proves the path still works), dialled by dial when it is not nil, within
// timeout, and returns the body.
func HTTPGet(dial func(ctx context.Context, network, addr string) (net.Conn, error), url string, timeout time.Duration) (string, error) {
	tr := &http.Transport{DisableKeepAlives: true}
	if dial != nil {
		tr.DialContext = dial
	}
	c := &http.Client{Transport: tr, Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
