package forward

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestReadSocksRequest(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		host  string
		port  int
		ver   byte
		reply []byte // what the server wrote before the request's reply
	}{
		{"socks4", []byte{4, 1, 0, 80, 10, 0, 0, 1, 'u', 0}, "10.0.0.1", 80, 4, nil},
		{"socks4a", append([]byte{4, 1, 0x1f, 0x90, 0, 0, 0, 9, 0}, "example.org\x00"...), "example.org", 8080, 4, nil},
		{"socks5 ipv4", []byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 22}, "127.0.0.1", 22, 5, []byte{5, 0}},
		{"socks5 name", append(append([]byte{5, 2, 2, 0, 5, 1, 0, 3, 4}, "host"...), 1, 0), "host", 256, 5, []byte{5, 0}},
		{"socks5 ipv6", append(append([]byte{5, 1, 0, 5, 1, 0, 4}, make([]byte, 15)...), 1, 0, 80), "::1", 80, 5, []byte{5, 0}},
	}
	for _, tt := range tests {
		var w bytes.Buffer
		req, err := readSocksRequest(bufio.NewReader(bytes.NewReader(tt.in)), &w)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if req.host != tt.host || req.port != tt.port || req.version != tt.ver || !bytes.Equal(w.Bytes(), tt.reply) {
			t.Errorf("%s: %+v wrote % x, want %s:%d v%d wrote % x", tt.name, req, w.Bytes(), tt.host, tt.port, tt.ver, tt.reply)
		}
	}
}

func TestReadSocksRequestRefuses(t *testing.T) {
	for name, in := range map[string][]byte{
		"version 3":         {3, 1},
		"socks4 bind":       {4, 2, 0, 80, 1, 2, 3, 4, 0},
		"socks5 auth only":  {5, 1, 2},
		"socks5 udp":        {5, 1, 0, 5, 3, 0, 1, 1, 2, 3, 4, 0, 80},
		"socks5 bad atyp":   {5, 1, 0, 5, 1, 0, 9},
		"socks5 empty name": {5, 1, 0, 5, 1, 0, 3, 0, 0, 80},
		"socks4a empty":     {4, 1, 0, 80, 0, 0, 0, 1, 0, 0},
		"truncated":         {5, 1, 0, 5, 1, 0, 1, 127},
		"long user id":      append([]byte{4, 1, 0, 80, 1, 2, 3, 4}, bytes.Repeat([]byte{'a'}, 2000)...),
	} {
		var w bytes.Buffer
		if req, err := readSocksRequest(bufio.NewReader(bytes.NewReader(in)), &w); err == nil {
			t.Errorf("%s: accepted %+v", name, req)
		}
	}
	var w bytes.Buffer
	_, err := readSocksRequest(bufio.NewReader(bytes.NewReader([]byte{5, 1, 2})), &w)
	if !errors.Is(err, errSocks) || !bytes.Equal(w.Bytes(), []byte{5, 0xff}) {
		t.Errorf("no acceptable method: %v, wrote % x, want 05 ff", err, w.Bytes())
	}
}

func TestWriteSocksReply(t *testing.T) {
	for _, c := range []struct {
		ver  byte
		ok   bool
		want []byte
	}{
		{4, true, []byte{0, 90, 0, 0, 0, 0, 0, 0}},
		{4, false, []byte{0, 91, 0, 0, 0, 0, 0, 0}},
		{5, true, []byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0}},
		{5, false, []byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}},
	} {
		var b bytes.Buffer
		if err := writeSocksReply(&b, c.ver, c.ok); err != nil || !bytes.Equal(b.Bytes(), c.want) {
			t.Errorf("v%d ok=%v: % x, want % x", c.ver, c.ok, b.Bytes(), c.want)
		}
	}
}

// FuzzSocksRequest: any input is decoded or refused without a panic, a
// decoded request names a host and a port in range, and the decoder never
// reads past what a request needs (the rest stays for the connection).
func FuzzSocksRequest(f *testing.F) {
	f.Add([]byte{4, 1, 0, 80, 10, 0, 0, 1, 'u', 0})
	f.Add(append([]byte{4, 1, 0x1f, 0x90, 0, 0, 0, 9, 0}, "example.org\x00"...))
	f.Add([]byte{5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 22, 'G', 'E', 'T'})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		req, err := readSocksRequest(r, io.Discard)
		if err != nil {
			return
		}
		if req.host == "" || req.port < 0 || req.port > 65535 || (req.version != 4 && req.version != 5) {
			t.Fatalf("decoded %+v from % x", req, in)
		}
		rest, _ := io.ReadAll(r)
		if !bytes.HasSuffix(in, rest) {
			t.Fatalf("lost bytes after the request")
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"8080:localhost:80", "[::1]:8080:h:80", `a\:b:1:c:2`, "1080", "/tmp/x:h:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, k := range []Kind{Local, Remote, Dynamic} {
			spec, err := Parse(k, s)
			if err != nil {
				continue
			}
			if spec.ListenPort < 0 || spec.ListenPort > 65535 || (k != Remote && spec.ListenPort == 0) {
				t.Fatalf("Parse(%v, %q) listen port %d", k, s, spec.ListenPort)
			}
			if k != Dynamic && (spec.ConnectPort <= 0 || spec.ConnectPort > 65535) {
				t.Fatalf("Parse(%v, %q) connect port %d", k, s, spec.ConnectPort)
			}
		}
	})
}
