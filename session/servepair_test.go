package session

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
	"github.com/ssh-mosh/ssh-mosh/term"
)

// servePair runs Serve with argv (under /bin/sh's PATH) on srvSide, the
// server's end of an in-memory pair (possibly impaired), and returns a
// client transport and path on cliConn, the other end, that reach it. The
// server's result arrives on served; ctx bounds both.
func servePair(t *testing.T, ctx context.Context, srvSide, cliConn net.PacketConn, srvAddr net.Addr, argv ...string) (
	ct *roam.Transport[*userStream, *complete], cliPath *roam.UDPClient, served <-chan error) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("skipping test: no /bin/sh")
	}
	key, err := wire.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	srvPath := roam.NewServerPath(srvSide, wire.MTUv4)
	t.Cleanup(func() { srvPath.Close() })
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServerConfig{Path: srvPath, Key: key, Width: 80, Height: 24,
			Path0: "/bin/sh", Argv: argv, Env: []string{"PATH=/usr/bin:/bin"}, Scrollback: term.DefaultHistoryLines})
	}()
	cliPath = pipeClientPath(t, cliConn, srvAddr)
	t.Cleanup(func() { cliPath.Close() })
	ct, err = roam.NewTransport(roam.Client, key, newUserStream(), newComplete(80, 24), time.Now(), roam.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return ct, cliPath, done
}
