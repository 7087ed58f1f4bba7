package forward

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

// The SOCKS side of -D: versions 4, 4a and 5 with no authentication and
// the CONNECT command only, as OpenSSH's dynamic forwarding offers.

// maxSocksString bounds a SOCKS4 user id or 4a host name (OpenSSH reads
// at most a buffer's worth as well).
const maxSocksString = 1024

// socksRequest is a decoded CONNECT request.
type socksRequest struct {
	version byte // 4 or 5
	host    string
	port    int
}

func (r socksRequest) target() string {
	return net.JoinHostPort(r.host, strconv.Itoa(r.port))
}

var errSocks = errors.New("bad SOCKS request")

// readSocksRequest reads a SOCKS4, 4a or 5 CONNECT request from r. For
// version 5 it answers the method negotiation on w (no authentication, or
// 0xff when the client offers none that we accept). The request's reply
// is writeSocksReply's.
func readSocksRequest(r *bufio.Reader, w io.Writer) (socksRequest, error) {
	ver, err := r.ReadByte()
	if err != nil {
		return socksRequest{}, err
	}
	switch ver {
	case 4:
		return readSocks4(r)
	case 5:
		return readSocks5(r, w)
	}
	return socksRequest{}, fmt.Errorf("%w: version %d", errSocks, ver)
}

func readSocks4(r *bufio.Reader) (socksRequest, error) {
	var hdr [7]byte // command, port, IPv4 address
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return socksRequest{}, err
	}
	if hdr[0] != 1 {
		return socksRequest{}, fmt.Errorf("%w: SOCKS4 command %d", errSocks, hdr[0])
	}
	req := socksRequest{version: 4, port: int(binary.BigEndian.Uint16(hdr[1:3]))}
	ip := net.IPv4(hdr[3], hdr[4], hdr[5], hdr[6])
	if _, err := readCString(r); err != nil { // the user id, unused
		return socksRequest{}, err
	}
	if hdr[3] == 0 && hdr[4] == 0 && hdr[5] == 0 && hdr[6] != 0 {
		// SOCKS4a: the host name follows.
		name, err := readCString(r)
		if err != nil {
			return socksRequest{}, err
		}
		if name == "" {
			return socksRequest{}, fmt.Errorf("%w: empty SOCKS4a host name", errSocks)
		}
		req.host = name
	} else {
		req.host = ip.String()
	}
	return req, nil
}

// readCString reads a NUL-terminated string of at most maxSocksString
// bytes.
func readCString(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == 0 {
			return string(b), nil
		}
		if len(b) == maxSocksString {
			return "", fmt.Errorf("%w: string too long", errSocks)
		}
		b = append(b, c)
	}
}

func readSocks5(r *bufio.Reader, w io.Writer) (socksRequest, error) {
	n, err := r.ReadByte()
	if err != nil {
		return socksRequest{}, err
	}
	methods := make([]byte, n)
	if _, err := io.ReadFull(r, methods); err != nil {
		return socksRequest{}, err
	}
	noAuth := false
	for _, m := range methods {
		noAuth = noAuth || m == 0
	}
	if !noAuth {
		_, _ = w.Write([]byte{5, 0xff})
		return socksRequest{}, fmt.Errorf("%w: no acceptable SOCKS5 authentication method", errSocks)
	}
	if _, err := w.Write([]byte{5, 0}); err != nil {
		return socksRequest{}, err
	}
	var hdr [4]byte // version, command, reserved, address type
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return socksRequest{}, err
	}
	if hdr[0] != 5 || hdr[1] != 1 {
		return socksRequest{}, fmt.Errorf("%w: SOCKS5 version %d command %d", errSocks, hdr[0], hdr[1])
	}
	req := socksRequest{version: 5}
	switch hdr[3] {
	case 1, 4:
		ip := make([]byte, map[byte]int{1: 4, 4: 16}[hdr[3]])
		if _, err := io.ReadFull(r, ip); err != nil {
			return socksRequest{}, err
		}
		req.host = net.IP(ip).String()
	case 3:
		l, err := r.ReadByte()
		if err != nil {
			return socksRequest{}, err
		}
		name := make([]byte, l)
		if _, err := io.ReadFull(r, name); err != nil {
			return socksRequest{}, err
		}
		if l == 0 {
			return socksRequest{}, fmt.Errorf("%w: empty SOCKS5 host name", errSocks)
		}
		req.host = string(name)
	default:
		return socksRequest{}, fmt.Errorf("%w: SOCKS5 address type %d", errSocks, hdr[3])
	}
	var p [2]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return socksRequest{}, err
	}
	req.port = int(binary.BigEndian.Uint16(p[:]))
	return req, nil
}

// writeSocksReply answers a request: granted, or refused (the remote end
// could not connect).
func writeSocksReply(w io.Writer, version byte, ok bool) error {
	var b []byte
	if version == 4 {
		code := byte(90)
		if !ok {
			code = 91
		}
		b = []byte{0, code, 0, 0, 0, 0, 0, 0}
	} else {
		code := byte(0)
		if !ok {
			code = 5 // connection refused
		}
		b = []byte{5, code, 0, 1, 0, 0, 0, 0, 0, 0}
	}
	_, err := w.Write(b)
	return err
}
