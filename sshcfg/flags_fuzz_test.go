package sshcfg

import (
	"strings"
	"testing"
)

// FuzzResolveFlags: the command line's -o, -J, -l and -p reach the resolver
// without a config file. Never panics; a resolved Config has a host and a
// port, and every hop of its jump chain too.
func FuzzResolveFlags(f *testing.F) {
	f.Add("ServerAliveInterval=30", "", "", "", "host")
	f.Add("ProxyJump j1,ops@j2:2222", "", "me", "2222", "target")
	f.Add("", "[::1]:22,u@[fe80::1]", "", "", "t")
	f.Add("Port 0", "a@b:99999,,@", "", "x", "h")
	f.Add("HostName %h.%r.%p.%%", "ssh://u@j:22", "user@odd", "65535", "h")
	f.Add("ConnectTimeout=2147483648", "none", "", "", "h")
	f.Add("User=\"quoted name\"", "", "", "", "-oops")
	f.Add("IdentityFile ~/.ssh/%C", "", "", "", "ssh://u@h:7")
	f.Fuzz(func(t *testing.T, opt, jump, login, port, host string) {
		if strings.Contains(strings.ToLower(opt), "include") || strings.ContainsAny(opt+jump+login+port+host, "\x00") {
			return // Include would read this machine's files; argv holds no NUL
		}
		dir := t.TempDir()
		r := &Resolver{SSH: "none", Home: dir, LocalUser: "u", LocalHostname: "h.example", SystemConfig: "/nonexistent"}
		o := &Options{}
		for _, fl := range []struct {
			letter byte
			value  string
		}{{'F', "/dev/null"}, {'o', opt}, {'J', jump}, {'l', login}, {'p', port}} {
			if fl.value == "" {
				continue
			}
			if err := o.setSSHFlag(fl.letter, fl.value); err != nil {
				return
			}
		}
		c, err := r.Resolve(o, host)
		if err != nil {
			return
		}
		if c.Port <= 0 || c.Port > 65535 || c.HostName == "" {
			t.Fatalf("resolved config has bad port/host: %+v", c)
		}
		for i, hop := range c.Chain() {
			if hop.Port <= 0 || hop.Port > 65535 || hop.HostName == "" {
				t.Fatalf("hop %d has bad port/host: %+v", i, hop)
			}
		}
	})
}
