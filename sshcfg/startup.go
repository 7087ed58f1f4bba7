package sshcfg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Bounds on reading the remote start-up output. A host's rc files print
// what they like before our script runs, a hostile host anything at all:
// what is kept must not grow with what is sent.
const (
	// startupLimit is how much the remote may print before the lines
	// StartServer waits for. A real start prints about 1 KiB (our
	// markers, mosh-server's banner and a motd-sized rc greeting); 4 MiB
	// is thousands of times that, and read in well under a second on any
	// link where mosh makes sense.
	startupLimit = 4 << 20
	// startupMaxLine is the longest line kept; the rest of a longer one
	// is read and counted, not stored. Every line we look for is short.
	startupMaxLine = 4 << 10
	// startupMaxOther bounds the other lines kept (for notices, the
	// locale retry and error messages): count and bytes.
	startupMaxOther      = 64
	startupMaxOtherBytes = 16 << 10
	// startupQuote is how much of the other output an error quotes.
	startupQuote = 120
)

// startupOutput is what matters of the remote start-up output.
type startupOutput struct {
	// SSHConnectionIP is the server address of SSH_CONNECTION, if printed.
	SSHConnectionIP net.IP
	// Connect is set by a MOSH CONNECT line: Port and Key are its values,
	// or BadConnect says it did not parse.
	Connect    bool
	BadConnect bool
	Port       int
	Key        string
	// PID is from mosh-server's detach line (0 if none).
	PID int
	// Version and Ours are from mosh-server's banner (serverVersion).
	Version string
	Ours    bool
	// NotFound holds the not-found marker's text (where the script looked).
	NotFound    string
	SawNotFound bool
	// Status is the script's exit status of mosh-server ("" before the
	// end marker).
	Status string
	// Other are the remaining non-blank lines, without \r, within
	// startupMaxOther and startupMaxOtherBytes.
	Other []string
	// Read counts the bytes read.
	Read int64
	// otherBytes is the size of Other.
	otherBytes int
}

// errStartupTooLong is returned by readStartup when the remote printed
// startupLimit bytes without finishing.
var errStartupTooLong = errors.New("start-up output too long")

// readStartup reads the start-up output from r until our end marker, the
// not-found marker, or both MOSH CONNECT and mosh-server's detach line
// (the server parent's last word: the session can start without waiting
// for the end marker, a round trip saved on every start), or the end of r.
// It reads at most limit bytes and fails with errStartupTooLong after
// that; memory stays within the bounds above whatever r holds.
func readStartup(r io.Reader, limit int64) (*startupOutput, error) {
	o := &startupOutput{}
	br := bufio.NewReaderSize(r, startupMaxLine)
	var line []byte
	cut := false // the current line is longer than startupMaxLine
	for {
		if o.Read >= limit {
			return o, errStartupTooLong
		}
		chunk, err := br.ReadSlice('\n')
		if int64(len(chunk)) > limit-o.Read {
			chunk = chunk[:limit-o.Read]
			err = nil // the limit check above ends the loop
		}
		o.Read += int64(len(chunk))
		if !cut {
			room := startupMaxLine - len(line)
			if len(chunk) > room {
				line = append(line, chunk[:room]...)
				cut = true
			} else {
				line = append(line, chunk...)
			}
		}
		complete := len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		if complete || (err != nil && err != bufio.ErrBufferFull && len(line) > 0) {
			if o.addLine(line) {
				return o, nil
			}
			line, cut = line[:0], false
		}
		switch {
		case err == nil, err == bufio.ErrBufferFull:
		case errors.Is(err, io.EOF):
			return o, nil
		default:
			return o, err
		}
	}
}

// addLine takes one line (with or without its \n; raw is modified) and
// reports whether the output is complete. Only kept lines allocate: a
// flood of output costs no memory.
func (o *startupOutput) addLine(raw []byte) bool {
	// A pty ends lines with \r\n; mosh's reader drops every \r.
	n := 0
	for _, c := range raw {
		if c != '\r' && c != '\n' {
			raw[n] = c
			n++
		}
	}
	line := raw[:n]
	has := func(p string) bool { return len(line) >= len(p) && string(line[:len(p)]) == p }
	switch {
	case len(bytes.TrimSpace(line)) == 0:
	case has(markDone):
		o.Status = strings.TrimSpace(string(line[len(markDone):]))
		return true
	case has(markNotFound):
		o.NotFound, o.SawNotFound = string(line[len(markNotFound):]), true
		return true
	case has(markSSHConnection):
		if f := strings.Fields(string(line[len(markSSHConnection):])); len(f) == 4 {
			o.SSHConnectionIP = net.ParseIP(strings.TrimPrefix(f[2], "::ffff:"))
		}
	case has("MOSH CONNECT "):
		port, key, err := ParseConnect(string(line))
		o.Connect = true
		o.BadConnect = err != nil
		if err == nil {
			o.Port, o.Key = port, key
		}
	case has("mosh-server (mosh ") && bannerRE.Match(line):
		o.Version, o.Ours, _ = serverVersion(line)
	case has("[mosh-server detached, pid = ") && detachedRE.Match(line):
		o.PID, _ = strconv.Atoi(string(detachedRE.FindSubmatch(line)[1]))
		return o.Connect
	default:
		if len(o.Other) < startupMaxOther && o.otherBytes+len(line) <= startupMaxOtherBytes {
			o.Other = append(o.Other, string(line))
			o.otherBytes += len(line)
		}
	}
	return false
}

// quoteOther quotes the start of the other output for a one-line message,
// control characters escaped, or says there was none.
func (o *startupOutput) quoteOther() string {
	if len(o.Other) == 0 {
		return "nothing"
	}
	s := strings.Join(o.Other, "\n")
	if len(s) > startupQuote {
		// Cut at a character boundary so the quote shows no false escape.
		n := startupQuote
		for n > 0 && !utf8Start(s[n]) {
			n--
		}
		return strconv.Quote(s[:n]) + "…"
	}
	return strconv.Quote(s)
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// StartupError is returned by StartServer when it stopped waiting for the
// remote start-up: the remote printed too much, or took longer than the
// user's ConnectTimeout or ServerAlive settings allow. A plain shell would
// meet the same rc files, so callers end rather than fall back.
type StartupError struct {
	Host string
	// Limit says what ran out: "more than 4 MiB" or "within 5s (ConnectTimeout)".
	Limit string
	// Printed quotes the start of what the remote printed instead.
	Printed string
}

func (e *StartupError) Error() string {
	return fmt.Sprintf("mosh-server on %s did not start %s; the remote printed %s instead of its start-up lines: "+
		"check the remote shell's startup files (e.g. ~/.bashrc) for output or waits", e.Host, e.Limit, e.Printed)
}

// StartupTimeout is how long the remote start-up may take by the user's
// settings: ConnectTimeout, and ServerAliveInterval × ServerAliveCountMax
// (the time after which ssh declares an unresponsive server dead); the
// shorter of those set, or 0 (no limit) when neither is. why names it.
func StartupTimeout(c *Config) (d time.Duration, why string) {
	if c.ConnectTimeout > 0 {
		d, why = c.ConnectTimeout, "ConnectTimeout"
	}
	if c.ServerAliveInterval > 0 && c.ServerAliveCountMax > 0 {
		alive := c.ServerAliveInterval * time.Duration(c.ServerAliveCountMax)
		if d == 0 || alive < d {
			d, why = alive, "ServerAliveInterval × ServerAliveCountMax"
		}
	}
	return d, why
}

// formatLimit prints a byte count the way the messages say it.
func formatLimit(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// startupText is the other output as one string, for the locale retry.
func (o *startupOutput) startupText() string {
	var b bytes.Buffer
	for _, l := range o.Other {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
