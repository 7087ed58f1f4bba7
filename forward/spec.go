package forward

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Kind is what a forward does.
type Kind int

const (
	// Local (-L, LocalForward): a listener here, connections to a host
	// the remote end reaches.
	Local Kind = iota
	// Remote (-R, RemoteForward): a listener on the remote host,
	// connections to a host this end reaches.
	Remote
	// Dynamic (-D, DynamicForward): a SOCKS server here; each request
	// names the host the remote end connects to.
	Dynamic
)

func (k Kind) String() string {
	return [...]string{"local", "remote", "dynamic"}[k]
}

// Spec is one forward as OpenSSH's parse_forward reads it.
type Spec struct {
	Kind Kind
	// ListenHost is the bind address; nil when none was given (the
	// GatewayPorts default applies), "" or "*" for every address.
	ListenHost *string
	ListenPort int
	// ConnectHost and ConnectPort are the target (not for Dynamic).
	ConnectHost string
	ConnectPort int
}

// Listen is the spec's bind address as written ("" when none).
func (s Spec) Listen() string {
	if s.ListenHost == nil {
		return strconv.Itoa(s.ListenPort)
	}
	return net.JoinHostPort(*s.ListenHost, strconv.Itoa(s.ListenPort))
}

// Target is host:port the forwarded connections go to.
func (s Spec) Target() string {
	return net.JoinHostPort(s.ConnectHost, strconv.Itoa(s.ConnectPort))
}

// ErrNeedsOpenSSH marks a forward the roaming session does not carry (a
// unix socket at either end, or a remote SOCKS forward): the login is then
// handed to OpenSSH's ssh, which does.
var ErrNeedsOpenSSH = errors.New("needs OpenSSH")

// field is one colon-separated part of a spec.
type field struct {
	arg    string
	isPath bool
}

// splitFields splits a spec as OpenSSH's parse_fwd_field does: a field in
// square brackets is taken literally (an IPv6 address), a backslash escapes
// the next character, and a '/' marks a unix socket path. It returns nil
// for a malformed spec.
func splitFields(spec string) []field {
	s := strings.TrimLeft(spec, " \t\r\n\v\f")
	var out []field
	for len(out) < 4 && s != "" {
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 || (end+1 < len(s) && s[end+1] != ':') {
				return nil
			}
			out = append(out, field{arg: s[1:end], isPath: strings.Contains(s[1:end], "/")})
			s = s[end+1:]
			if s != "" {
				s = s[1:] // the colon
			}
			continue
		}
		var b strings.Builder
		f := field{}
		i := 0
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' {
				if i+1 == len(s) {
					return nil
				}
				i++ // escaped: neither a delimiter nor a path mark
				b.WriteByte(s[i])
				continue
			}
			if c == ':' {
				break
			}
			if c == '/' {
				f.isPath = true
			}
			b.WriteByte(c)
		}
		f.arg = b.String()
		out = append(out, f)
		if i < len(s) {
			s = s[i+1:]
			if s == "" {
				// A trailing colon: OpenSSH reads one more, empty
				// field only when something follows; here the spec
				// just ends.
				break
			}
		} else {
			s = ""
		}
	}
	if s != "" {
		return nil // more than four fields
	}
	return out
}

// port is OpenSSH's a2port: a number 0-65535 or a TCP service name;
// -1 when neither.
func port(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 65535 {
			return -1
		}
		return n
	}
	if s == "" {
		return -1
	}
	if p, err := net.LookupPort("tcp", s); err == nil {
		return p
	}
	return -1
}

// Parse reads a -L, -R or -D argument as OpenSSH's ssh does. A spec ssh
// accepts but a roaming session does not carry wraps ErrNeedsOpenSSH; a
// spec ssh would refuse gets ssh's message ("Bad local forwarding
// specification '…'").
func Parse(kind Kind, spec string) (Spec, error) {
	//lint:ignore ST1005 OpenSSH's wording, shown to the user as is
	bad := fmt.Errorf("Bad %s forwarding specification '%s'", kind, spec)
	fields := splitFields(spec)
	dynamic := kind == Dynamic
	if kind == Remote && len(fields) >= 1 && len(fields) <= 2 && !anyPath(fields) {
		// -R [bind:]port: a SOCKS server on the remote side.
		return Spec{}, fmt.Errorf("remote dynamic forwarding (-R %s): %w", spec, ErrNeedsOpenSSH)
	}
	if anyPath(fields) {
		return Spec{}, fmt.Errorf("unix socket forwarding (%s): %w", spec, ErrNeedsOpenSSH)
	}
	s := Spec{Kind: kind, ConnectPort: -1}
	host := func(f field) *string { v := f.arg; return &v }
	switch len(fields) {
	case 1:
		s.ListenPort = port(fields[0].arg)
	case 2:
		s.ListenHost, s.ListenPort = host(fields[0]), port(fields[1].arg)
	case 3:
		s.ListenPort, s.ConnectHost, s.ConnectPort = port(fields[0].arg), fields[1].arg, port(fields[2].arg)
	case 4:
		s.ListenHost, s.ListenPort = host(fields[0]), port(fields[1].arg)
		s.ConnectHost, s.ConnectPort = fields[2].arg, port(fields[3].arg)
	default:
		return Spec{}, bad
	}
	switch {
	case dynamic && len(fields) > 2,
		!dynamic && len(fields) < 3,
		!dynamic && s.ConnectPort <= 0,
		s.ListenPort < 0,
		kind != Remote && s.ListenPort == 0,
		len(s.ConnectHost) >= 1025,
		s.ListenHost != nil && len(*s.ListenHost) >= 1025:
		return Spec{}, bad
	}
	if dynamic {
		s.ConnectPort = 0
	}
	return s, nil
}

// ParseConfig reads a LocalForward, RemoteForward or DynamicForward value
// from ssh_config ("[bind:]port host:hostport"): the two words are joined
// with a colon, as ssh's readconf does.
func ParseConfig(kind Kind, value string) (Spec, error) {
	words := strings.Fields(value)
	keyword := map[Kind]string{Local: "LocalForward", Remote: "RemoteForward", Dynamic: "DynamicForward"}[kind]
	bad := fmt.Errorf("%s %s: Bad forwarding specification", keyword, value)
	switch {
	case len(words) == 0:
		return Spec{}, fmt.Errorf("%s: Missing argument", keyword)
	case kind == Dynamic || (kind == Remote && len(words) == 1):
		if len(words) != 1 {
			return Spec{}, bad
		}
		s, err := Parse(kind, words[0])
		if errors.Is(err, ErrNeedsOpenSSH) {
			return Spec{}, err
		} else if err != nil {
			return Spec{}, bad
		}
		return s, nil
	case len(words) != 2:
		if len(words) == 1 {
			return Spec{}, fmt.Errorf("%s %s: Missing target argument", keyword, value)
		}
		return Spec{}, bad
	}
	s, err := Parse(kind, words[0]+":"+words[1])
	if errors.Is(err, ErrNeedsOpenSSH) {
		return Spec{}, err
	} else if err != nil {
		return Spec{}, bad
	}
	return s, nil
}

func anyPath(fields []field) bool {
	for _, f := range fields {
		if f.isPath {
			return true
		}
	}
	return false
}
