package datapath

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// A relay runs on the server's host, started over an SSH exec channel, and
// forwards between its stdin/stdout (frames, frame.go) and one UDP
// port on that host: the stock mosh-server's. The server sees the relay's
// UDP socket as its client and follows it like any roaming client. The
// relay forwards to that one address only (a connected UDP socket drops
// datagrams from anywhere else) and exits at EOF on stdin or when idle.
//
// Three implementations speak the same protocol: RunRelay (the hidden
// `mosh-server relay HOST PORT` of our binary), and the Perl and Python
// scripts in package sshcfg, for hosts that only have the stock mosh.

// relayMagic is the first thing a relay writes on stdout. The client skips
// whatever comes before it: a remote shell's startup files may print text
// that would otherwise be read as frames.
const relayMagic = "\x00SSH-MOSH-RELAY-1\n"

// RelayIdle is how long a relay runs with no datagram in either direction.
// A live session exchanges a heartbeat every 3 s, so a minute of silence
// means the client is gone without an EOF (a suspended laptop).
const RelayIdle = 60 * time.Second

// maxRelayPreamble bounds what a client reads looking for relayMagic.
const maxRelayPreamble = 64 << 10

// errNoRelayMagic means a relay's output ended, or grew too long, before
// relayMagic.
var errNoRelayMagic = errors.New("datapath: the relay did not start")

// SkipRelayPreamble reads r up to and including relayMagic and returns a
// reader of what follows.
func SkipRelayPreamble(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	var seen []byte
	for len(seen) < maxRelayPreamble {
		b, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: %w (output: %q)", errNoRelayMagic, err, printable(seen))
		}
		seen = append(seen, b)
		if bytes.HasSuffix(seen, []byte(relayMagic)) {
			return br, nil
		}
	}
	return nil, fmt.Errorf("%w: %d bytes without the relay's greeting", errNoRelayMagic, len(seen))
}

func printable(b []byte) string {
	s := string(bytes.TrimSpace(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// RunRelay relays between in/out (frames) and the UDP server at target
// until in ends, ctx ends, or nothing moved for idle. It writes relayMagic
// first.
func RunRelay(ctx context.Context, in io.Reader, out io.Writer, target *net.UDPAddr, idle time.Duration) error {
	// From the server's own address, so the datagrams stay on the host
	// (and a firewall rule for outside clients does not apply to them).
	uc, err := net.DialUDP("udp", &net.UDPAddr{IP: target.IP}, target)
	if err != nil {
		return fmt.Errorf("relay to %v: %w", target, err)
	}
	defer uc.Close()
	if _, err := io.WriteString(out, relayMagic); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	activity := make(chan struct{}, 1)
	touch := func() {
		select {
		case activity <- struct{}{}:
		default:
		}
	}
	// Closing the UDP socket ends the reader below; stdin cannot be
	// interrupted portably, so its reader ends only with the stream (or
	// the process, which is what a relay is).
	stop := context.AfterFunc(ctx, func() { uc.Close() })
	defer stop()

	errc := make(chan error, 2)
	go func() { // stdin → UDP
		// Any bytes count as activity, the client's empty keepalive
		// frames included.
		fr := NewFrameReader(touchReader{in, touch})
		for {
			d, err := fr.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				errc <- err
				return
			}
			touch()
			// A refused send (no server yet, or gone) is like a lost
			// datagram; the transport copes.
			_, _ = uc.Write(d)
		}
	}()
	go func() { // UDP → stdout
		buf := make([]byte, maxFrameData)
		var frame []byte
		for {
			n, err := uc.Read(buf)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
					errc <- nil
					return
				}
				continue // ECONNREFUSED from an earlier send: keep listening
			}
			touch()
			frame, _ = AppendFrame(frame[:0], buf[:n])
			if _, err := out.Write(frame); err != nil {
				errc <- err
				return
			}
		}
	}()

	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		select {
		case err := <-errc:
			return err
		case <-activity:
			timer.Reset(idle)
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// touchReader calls touch after every read that returned bytes.
type touchReader struct {
	r     io.Reader
	touch func()
}

func (t touchReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if n > 0 {
		t.touch()
	}
	return n, err
}
