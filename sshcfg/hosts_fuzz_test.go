package sshcfg

import (
	"strings"
	"testing"
)

// FuzzScanConfigHosts: any input scans without panicking, and every host
// offered is a plain name that appeared in the input (quotes removed).
func FuzzScanConfigHosts(f *testing.F) {
	f.Add([]byte("Host a b *.c\nInclude x\nUserKnownHostsFile ~/k\n"))
	f.Add([]byte("host=\"q r\" s # c\n"))
	f.Add([]byte("Host\n=\n\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hosts, _, _ := ScanConfigHosts(data)
		unquoted := strings.NewReplacer(`"`, "", "'", "").Replace(string(data))
		for _, h := range hosts {
			if !plainHostName(h) || !strings.Contains(unquoted, h) {
				t.Fatalf("offered %q from %q", h, data)
			}
		}
	})
}

// FuzzKnownHostsNames: the same for known_hosts data.
func FuzzKnownHostsNames(f *testing.F) {
	f.Add([]byte("a,b ssh-ed25519 AAAA\n[c]:22 ssh-rsa AAAA\n|1|x|y k\n"))
	f.Add([]byte("@cert-authority *.d k\n@revoked e k\n"))
	f.Add([]byte("[\n]\n@\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, h := range KnownHostsNames(data) {
			if !plainHostName(h) || !strings.Contains(string(data), h) {
				t.Fatalf("offered %q from %q", h, data)
			}
		}
	})
}
