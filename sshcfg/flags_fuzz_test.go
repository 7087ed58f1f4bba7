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
	f.Add("Include ~/.ssh/*", "", "", "", "h")
	f.Fuzz(func(t *testing.T, opt, jump, login, port, host string) {
		if strings.ContainsAny(opt+jump+login+port+host, "\x00") {
			return // argv holds no NUL
		}
		// The config file is empty and in memory: no file is written per
		// run, and nothing (an Include in -o) reaches this machine's files.
		r := &Resolver{SSH: "none", Home: fuzzHome, LocalUser: "u", LocalHostname: "h.example",
			SystemConfig: "/etc/ssh/ssh_config", Files: MemFiles{"/fuzz/config": nil}}
		o := &CommandLine{}
		for _, fl := range []struct {
			letter byte
			value  string
		}{{'F', "/fuzz/config"}, {'o', opt}, {'J', jump}, {'l', login}, {'p', port}} {
			if fl.value == "" {
				continue
			}
			if err := o.Add(fl.letter, fl.value); err != nil {
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
