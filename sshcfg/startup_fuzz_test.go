package sshcfg

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadStartup: whatever a remote shell's rc files print before the
// start-up lines (junk), followed by what our script and mosh-server
// print. readStartup must not panic, must stay within its bounds, must
// quote the junk on one printable line, and — when the junk holds no line
// that looks like one of ours — must find the port, key, pid and address.
// The limit also varies, to reach the size bound.
func FuzzReadStartup(f *testing.F) {
	f.Add([]byte(""), uint16(60001), uint32(4242), true, uint16(0))
	f.Add([]byte("Welcome to host!\r\nLast login: yesterday\r\n"), uint16(60002), uint32(1), true, uint16(0))
	f.Add([]byte("\x1b[2J\x1b]0;title\a partial line without end"), uint16(1), uint32(99999), false, uint16(0))
	f.Add([]byte("MOSH CONNECT 1 short\n"), uint16(5), uint32(6), true, uint16(0))
	f.Add([]byte("[mosh-server detached, pid = 7]\nMOSH SSH_CONNECTION 1 2 3\n"), uint16(5), uint32(6), true, uint16(0))
	f.Add([]byte(markDone+"0\n"), uint16(5), uint32(6), true, uint16(0))
	f.Add([]byte("mosh-server (mosh 1.4.0) [build ssh-mosh v1.0.0, protocol 2]\n"), uint16(5), uint32(6), true, uint16(0))
	f.Add(bytes.Repeat([]byte("flood\n"), 100), uint16(60003), uint32(3), true, uint16(64))
	f.Add(bytes.Repeat([]byte("x"), 5000), uint16(60004), uint32(4), false, uint16(0))
	f.Add([]byte("caf\xc3\xa9 \xff\xfe\r\n\r\n"), uint16(60005), uint32(5), true, uint16(300))
	f.Fuzz(func(t *testing.T, junk []byte, port uint16, pid uint32, crlf bool, smallLimit uint16) {
		eol := "\n"
		if crlf {
			eol = "\r\n"
		}
		const key = "AbCdEfGhIjKlMnOpQrStUv"
		var tail strings.Builder
		fmt.Fprintf(&tail, "%s%s10.1.2.3 50000 10.9.8.7 22%s", eol, markSSHConnection, eol)
		fmt.Fprintf(&tail, "%sMOSH CONNECT %d %s%s", eol, port, key, eol)
		fmt.Fprintf(&tail, "%smosh-server (mosh 1.4.0) [build mosh 1.4.0]%s", eol, eol)
		fmt.Fprintf(&tail, "[mosh-server detached, pid = %d]%s", pid, eol)
		in := append(append([]byte(nil), junk...), tail.String()...)

		limit := int64(startupLimit)
		if smallLimit > 0 {
			limit = int64(smallLimit)
		}
		o, err := readStartup(bytes.NewReader(in), limit)
		if o.Read > limit || o.Read > int64(len(in)) {
			t.Fatalf("read %d bytes of %d, limit %d", o.Read, len(in), limit)
		}
		if errors.Is(err, errStartupTooLong) != (o.Read == limit && err != nil) {
			t.Fatalf("err %v after %d bytes, limit %d", err, o.Read, limit)
		}
		if err != nil && !errors.Is(err, errStartupTooLong) {
			t.Fatalf("unexpected error %v", err)
		}
		if len(o.Other) > startupMaxOther || o.otherBytes > startupMaxOtherBytes {
			t.Fatalf("kept %d lines, %d bytes", len(o.Other), o.otherBytes)
		}
		for _, l := range o.Other {
			if len(l) > startupMaxLine || strings.ContainsAny(l, "\r\n") {
				t.Fatalf("kept line %q", l)
			}
		}
		if len(o.Version) > 60 || strings.ContainsFunc(o.Version, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			t.Fatalf("server version %q is not short printable ASCII", o.Version)
		}
		q := o.quoteOther()
		if !utf8.ValidString(q) || strings.ContainsFunc(q, func(r rune) bool { return r < 0x20 || r == 0x7f }) ||
			len(q) > 4*startupQuote+8 {
			t.Fatalf("quote %q is not one short printable line", q)
		}
		if err != nil || looksOurs(junk) || int64(len(in)) > limit {
			return
		}
		if !o.Connect || o.BadConnect != (port == 0) || (port != 0 && (o.Port != int(port) || o.Key != key)) {
			t.Fatalf("MOSH CONNECT %d: parsed %+v", port, o)
		}
		if port != 0 && o.PID != int(pid) {
			t.Fatalf("pid %d: parsed %d", pid, o.PID)
		}
		if o.SSHConnectionIP.String() != "10.9.8.7" {
			t.Fatalf("SSH_CONNECTION address %v", o.SSHConnectionIP)
		}
	})
}

// looksOurs reports whether some line of junk, as readStartup sees it,
// starts like a line it acts on.
func looksOurs(junk []byte) bool {
	for _, l := range strings.Split(strings.ReplaceAll(string(junk), "\r", ""), "\n") {
		for _, p := range []string{markDone, markNotFound, markSSHConnection, "MOSH CONNECT ", "[mosh-server detached, pid = "} {
			if strings.HasPrefix(l, p) {
				return true
			}
		}
	}
	return false
}

// FuzzParseSSHG: `ssh -G` output, then the Config built from it. The
// parse keeps every "keyword value" line under its lower-case keyword, in
// order; the build returns a Config or an error, never panics, and a
// Config has a host name and a port in range.
func FuzzParseSSHG(f *testing.F) {
	f.Add("user alice\nhostname example.org\nport 2200\nproxyjump u@j1:2222,j2\nconnecttimeout 7\nserveraliveinterval 15\nserveralivecountmax 3\nidentityfile ~/.ssh/id_x\naddressfamily any\n", "example.org")
	f.Add("port 0\nhostname \n", "h")
	f.Add("port 65536\nhostname h\nconnecttimeout none\n", "h")
	f.Add("HostName   Spaces\tand\ttabs  \n\n\nPORT 22\r\n", "h")
	f.Add("proxycommand ssh -W %h:%p jump\nproxyjump none\n", "h")
	f.Add("setenv A=1 \"B=two words\"\nsendenv LANG LC_*\n", "h")
	f.Add("moshtransport ssh\nmoshfallback no\n", "h")
	f.Fuzz(func(t *testing.T, out, host string) {
		s := parseSSHG(out)
		want := map[string][]string{}
		for _, line := range strings.Split(out, "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
			if k != "" {
				want[strings.ToLower(k)] = append(want[strings.ToLower(k)], v)
			}
		}
		if len(want) != len(s.vals) {
			t.Fatalf("%d keywords parsed, want %d", len(s.vals), len(want))
		}
		for k, vs := range want {
			got := s.vals[k]
			if len(got) != len(vs) {
				t.Fatalf("%s: %d values, want %d", k, len(got), len(vs))
			}
			for i := range vs {
				if got[i].value != vs[i] {
					t.Fatalf("%s[%d] = %q, want %q", k, i, got[i].value, vs[i])
				}
			}
		}
		dest, err := parseDestination(host)
		if err != nil {
			return
		}
		r := &Resolver{SSH: "none", Home: fuzzHome, LocalUser: "u", LocalHostname: "h.example", Files: MemFiles{}}
		c, err := r.build(s, dest, "ssh -G")
		if err != nil {
			return
		}
		if c.Port <= 0 || c.Port > 65535 || c.HostName == "" {
			t.Fatalf("built config has bad port/host: %+v", c)
		}
	})
}
