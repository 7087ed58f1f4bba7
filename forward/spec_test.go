package forward

import (
	"errors"
	"testing"
)

func strp(s string) *string { return &s }

// The cases follow OpenSSH's parse_forward (readconf.c) field by field.
func TestParse(t *testing.T) {
	tests := []struct {
		kind Kind
		in   string
		want *Spec // nil: refused as ssh refuses it
	}{
		{Local, "8080:localhost:80", &Spec{Kind: Local, ListenPort: 8080, ConnectHost: "localhost", ConnectPort: 80}},
		{Local, "127.0.0.2:8080:web:80", &Spec{Kind: Local, ListenHost: strp("127.0.0.2"), ListenPort: 8080, ConnectHost: "web", ConnectPort: 80}},
		{Local, "[::1]:8080:[fe80::1]:80", &Spec{Kind: Local, ListenHost: strp("::1"), ListenPort: 8080, ConnectHost: "fe80::1", ConnectPort: 80}},
		{Local, "*:8080:h:80", &Spec{Kind: Local, ListenHost: strp("*"), ListenPort: 8080, ConnectHost: "h", ConnectPort: 80}},
		{Local, ":8080:h:80", &Spec{Kind: Local, ListenHost: strp(""), ListenPort: 8080, ConnectHost: "h", ConnectPort: 80}},
		{Local, "  8080:h:http", &Spec{Kind: Local, ListenPort: 8080, ConnectHost: "h", ConnectPort: 80}},
		{Local, `8080:h\:x:80`, &Spec{Kind: Local, ListenPort: 8080, ConnectHost: "h:x", ConnectPort: 80}},
		// A trailing colon ends the spec, as in parse_fwd_field.
		{Local, "8080:h:80:", &Spec{Kind: Local, ListenPort: 8080, ConnectHost: "h", ConnectPort: 80}},
		{Local, "0:h:80", nil},         // local listen port 0
		{Local, "8080:h:0", nil},       // connect port 0
		{Local, "8080:h", nil},         // no target port
		{Local, "8080", nil},           // no target
		{Local, "a:b:c:d:e", nil},      // five fields
		{Local, "70000:h:80", nil},     // port out of range
		{Local, "[::1:8080:h:80", nil}, // unclosed bracket
		{Local, "[::1]x:8080:h:80", nil},
		{Local, `8080:h:80\`, nil}, // trailing backslash
		{Remote, "0:localhost:80", &Spec{Kind: Remote, ListenPort: 0, ConnectHost: "localhost", ConnectPort: 80}},
		{Remote, "*:9000:localhost:80", &Spec{Kind: Remote, ListenHost: strp("*"), ListenPort: 9000, ConnectHost: "localhost", ConnectPort: 80}},
		{Dynamic, "1080", &Spec{Kind: Dynamic, ListenPort: 1080}},
		{Dynamic, "127.0.0.1:1080", &Spec{Kind: Dynamic, ListenHost: strp("127.0.0.1"), ListenPort: 1080}},
		{Dynamic, "[::1]:1080", &Spec{Kind: Dynamic, ListenHost: strp("::1"), ListenPort: 1080}},
		{Dynamic, "0", nil},
		{Dynamic, "h:1080:x", nil},
		{Dynamic, "", nil},
	}
	for _, tt := range tests {
		got, err := Parse(tt.kind, tt.in)
		if tt.want == nil {
			if err == nil {
				t.Errorf("Parse(%v, %q) = %+v, want an error", tt.kind, tt.in, got)
			} else if errors.Is(err, ErrNeedsOpenSSH) {
				t.Errorf("Parse(%v, %q): %v, want a bad-spec error", tt.kind, tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%v, %q): %v", tt.kind, tt.in, err)
			continue
		}
		if !sameSpec(got, *tt.want) {
			t.Errorf("Parse(%v, %q) = %+v (listen %q), want %+v", tt.kind, tt.in, got, got.Listen(), *tt.want)
		}
	}
}

func sameSpec(a, b Spec) bool {
	if (a.ListenHost == nil) != (b.ListenHost == nil) || (a.ListenHost != nil && *a.ListenHost != *b.ListenHost) {
		return false
	}
	return a.Kind == b.Kind && a.ListenPort == b.ListenPort && a.ConnectHost == b.ConnectHost && a.ConnectPort == b.ConnectPort
}

// Unix sockets and remote SOCKS are OpenSSH's to do.
func TestParseNeedsOpenSSH(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		in   string
	}{
		{Local, "/tmp/s:h:80"}, {Local, "8080:/run/x.sock"}, {Remote, "/tmp/s:/tmp/t"},
		{Remote, "1080"}, {Remote, "127.0.0.1:1080"}, {Dynamic, "/tmp/socks"},
	} {
		if _, err := Parse(c.kind, c.in); !errors.Is(err, ErrNeedsOpenSSH) {
			t.Errorf("Parse(%v, %q) = %v, want ErrNeedsOpenSSH", c.kind, c.in, err)
		}
	}
	if _, err := Parse(Local, "8080:h"); err == nil || err.Error() != "Bad local forwarding specification '8080:h'" {
		t.Errorf("bad spec message: %v", err)
	}
}

func TestParseConfig(t *testing.T) {
	s, err := ParseConfig(Local, "8080 localhost:80")
	if err != nil || s.ListenPort != 8080 || s.Target() != "localhost:80" {
		t.Errorf("LocalForward: %+v %v", s, err)
	}
	s, err = ParseConfig(Local, "[::1]:8080 [::1]:80")
	if err != nil || *s.ListenHost != "::1" || s.Target() != "[::1]:80" {
		t.Errorf("LocalForward IPv6: %+v %v", s, err)
	}
	if _, err := ParseConfig(Remote, "9000"); !errors.Is(err, ErrNeedsOpenSSH) {
		t.Errorf("RemoteForward with one argument: %v, want ErrNeedsOpenSSH", err)
	}
	if _, err := ParseConfig(Local, "8080"); err == nil {
		t.Error("LocalForward without target accepted")
	}
	s, err = ParseConfig(Dynamic, "1080")
	if err != nil || s.ListenPort != 1080 {
		t.Errorf("DynamicForward: %+v %v", s, err)
	}
}

// localAddrs follows channel_fwd_bind_addr for the client side.
func TestLocalAddrs(t *testing.T) {
	for _, c := range []struct {
		host    *string
		gateway bool
		want    []string
	}{
		{nil, false, []string{"[::1]:80", "127.0.0.1:80"}},
		{nil, true, []string{":80"}},
		{strp("*"), false, []string{":80"}},
		{strp(""), false, []string{":80"}},
		{strp("localhost"), true, []string{"[::1]:80", "127.0.0.1:80"}},
		{strp("127.0.0.3"), true, []string{"127.0.0.3:80"}},
	} {
		got := localAddrs(Spec{ListenHost: c.host, ListenPort: 80}, c.gateway)
		if len(got) != len(c.want) {
			t.Errorf("%v gateway %v: %v, want %v", c.host, c.gateway, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%v gateway %v: %v, want %v", c.host, c.gateway, got, c.want)
			}
		}
	}
}
