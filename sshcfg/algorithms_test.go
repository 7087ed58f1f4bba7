package sshcfg

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"pgregory.net/rapid"
)

func TestAssembleAlgorithms(t *testing.T) {
	def := []string{"a-ctr", "b-gcm", "c-ctr"}
	all := []string{"x-cbc", "a-ctr", "b-gcm", "c-ctr", "y-cbc"}
	for _, tc := range []struct {
		value string
		want  string // comma list, or "error"
	}{
		{"", "a-ctr,b-gcm,c-ctr"},
		{"+x-cbc", "a-ctr,b-gcm,c-ctr,x-cbc"},
		{"+a-ctr", "a-ctr,b-gcm,c-ctr"},             // already there: not repeated
		{"+*-cbc", "a-ctr,b-gcm,c-ctr,x-cbc,y-cbc"}, // pattern over all, in all's order
		{"-b-gcm", "a-ctr,c-ctr"},
		{"-*-ctr", "b-gcm"},
		{"-*", ""}, // OpenSSH leaves an empty list after -
		{"-x-cbc", "a-ctr,b-gcm,c-ctr"},
		{"^c-ctr,x-cbc", "c-ctr,x-cbc,a-ctr,b-gcm"},
		{"y-cbc,a-ctr", "y-cbc,a-ctr"},
		{"*-ctr", "a-ctr,c-ctr"},
		{"c-ctr,*", "c-ctr,x-cbc,a-ctr,b-gcm,y-cbc"},
		{"nothing", "error"},
		{"!a-ctr", "error"},
		{"+!a-ctr", "error"},
	} {
		got, err := assembleAlgorithms(tc.value, def, all)
		if tc.want == "error" {
			if err == nil {
				t.Errorf("%q: got %q, want an error", tc.value, got)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.value, got, err, tc.want)
		}
	}
}

// TestAssembleAlgorithmsLaws checks the list algebra's laws over random
// lists: + and ^ never remove a default, - never adds, ^ puts the named
// algorithms first, no result repeats a name, and every name is one the
// keyword knows.
func TestAssembleAlgorithmsLaws(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := rapid.SampledFrom(algoKeywords).Draw(t, "keyword")
		all := k.all()
		def := k.defaults()
		name := rapid.SampledFrom(all)
		pattern := rapid.OneOf(name, rapid.Map(name, func(s string) string { return s[:len(s)/2] + "*" }))
		elems := rapid.SliceOfN(pattern, 1, 4).Draw(t, "elements")
		body := strings.Join(elems, ",")
		for _, prefix := range []string{"+", "-", "^", ""} {
			got, err := assembleAlgorithms(prefix+body, def, all)
			if err != nil {
				t.Fatalf("%s%s: %v", prefix, body, err)
			}
			seen := map[string]bool{}
			for _, a := range got {
				if seen[a] {
					t.Fatalf("%s%s: %q repeated in %q", prefix, body, a, got)
				}
				seen[a] = true
				if !slices.Contains(all, a) {
					t.Fatalf("%s%s: unknown %q", prefix, body, a)
				}
			}
			switch prefix {
			case "+", "^":
				for _, d := range def {
					if !seen[d] {
						t.Fatalf("%s%s removed default %q: %q", prefix, body, d, got)
					}
				}
			case "-":
				for _, a := range got {
					if !slices.Contains(def, a) {
						t.Fatalf("-%s added %q: %q", body, a, got)
					}
				}
			}
			if prefix == "^" {
				first, _ := assembleAlgorithms(body, def, all)
				if !slices.Equal(got[:len(first)], first) {
					t.Fatalf("^%s: %q does not start with %q", body, got, first)
				}
			}
		}
	})
}

func TestDefaultAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		k    *algoKeyword
		want string
	}{
		// OpenSSH 9.2's order, narrowed to what x/crypto implements.
		{kwCiphers, "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"},
		{kwMACs, "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"},
		// mlkem768x25519-sha256, unknown to 9.2, keeps x/crypto's first place.
		{kwKex, "mlkem768x25519-sha256,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384," +
			"ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group14-sha256"},
		{kwHostKey, "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com," +
			"ecdsa-sha2-nistp521-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com," +
			"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"},
		{kwCASig, "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com," +
			"sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"},
	} {
		if got := strings.Join(tc.k.defaults(), ","); got != tc.want {
			t.Errorf("%s default:\n got %s\nwant %s", tc.k.name, got, tc.want)
		}
	}
	// Nothing x/crypto calls insecure is offered unless configured.
	ins := ssh.InsecureAlgorithms()
	for _, k := range algoKeywords {
		for _, a := range k.defaults() {
			for _, bad := range [][]string{ins.Ciphers, ins.MACs, ins.KeyExchanges, ins.HostKeys, ins.PublicKeyAuths} {
				if slices.Contains(bad, a) {
					t.Errorf("%s default offers insecure %s", k.name, a)
				}
			}
		}
	}
}

func TestResolveAlgorithms(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		flags  []string
		check  func(l AlgorithmLists) string // "" when fine
		errs   string                        // wanted error text
	}{
		{name: "append", config: "Ciphers +aes128-cbc\nKexAlgorithms +diffie-hellman-group14-sha1\n", check: func(l AlgorithmLists) string {
			if l.Ciphers[len(l.Ciphers)-1] != "aes128-cbc" || l.Ciphers[0] != "chacha20-poly1305@openssh.com" {
				return "ciphers " + strings.Join(l.Ciphers, ",")
			}
			if !slices.Contains(l.KexAlgorithms, "diffie-hellman-group14-sha1") || !slices.Contains(l.KexAlgorithms, "curve25519-sha256") {
				return "kex " + strings.Join(l.KexAlgorithms, ",")
			}
			return ""
		}},
		{name: "OpenSSH-only names dropped", config: "MACs umac-64-etm@openssh.com,hmac-sha2-512\n", check: func(l AlgorithmLists) string {
			if strings.Join(l.MACs, ",") != "hmac-sha2-512" {
				return "macs " + strings.Join(l.MACs, ",")
			}
			return ""
		}},
		{name: "-c wins over the config", config: "Ciphers aes128-ctr\n", flags: []string{"-c", "^aes256-gcm@openssh.com", "-m", "hmac-sha1"},
			check: func(l AlgorithmLists) string {
				if l.Ciphers[0] != "aes256-gcm@openssh.com" || len(l.Ciphers) != 6 || strings.Join(l.MACs, ",") != "hmac-sha1" {
					return strings.Join(l.Ciphers, ",") + " / " + strings.Join(l.MACs, ",")
				}
				return ""
			}},
		{name: "first value wins", config: "Host target\n  Ciphers aes256-ctr\nHost *\n  Ciphers aes128-ctr\n", check: func(l AlgorithmLists) string {
			if strings.Join(l.Ciphers, ",") != "aes256-ctr" {
				return strings.Join(l.Ciphers, ",")
			}
			return ""
		}},
		{name: "host key order kept for plain and ^ lists", config: "HostKeyAlgorithms ^ssh-rsa\n", check: func(l AlgorithmLists) string {
			if !l.HostKeyVerbatim || l.HostKeyAlgorithms[0] != "ssh-rsa" {
				return strings.Join(l.HostKeyAlgorithms, ",")
			}
			return ""
		}},
		{name: "host key order by known_hosts for +", config: "HostKeyAlgorithms +ssh-rsa\nPubkeyAcceptedAlgorithms ssh-ed25519*\n", check: func(l AlgorithmLists) string {
			if l.HostKeyVerbatim || strings.Join(l.PubkeyAcceptedAlgorithms, ",") != "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com" {
				return strings.Join(l.PubkeyAcceptedAlgorithms, ",")
			}
			return ""
		}},
		{name: "pattern in a cipher list", config: "Ciphers aes*\n", errs: "Bad SSH2 cipher spec 'aes*'"},
		{name: "unknown kex", config: "KexAlgorithms +foo\n", errs: "Bad SSH2 KexAlgorithms '+foo'"},
		{name: "unknown key type", config: "HostKeyAlgorithms ssh-foo\n", errs: "Bad key types 'ssh-foo'"},
		{name: "nothing implemented left", config: "MACs umac-64@openssh.com\n", errs: "leaves no MAC that ssh-mosh implements"},
		{name: "bad -c", flags: []string{"-c", "rot13"}, errs: "Bad SSH2 cipher spec 'rot13'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, tc.config)
			o, rest := parse(t, append(append([]string{"-F", cfg}, tc.flags...), "target")...)
			r := &Resolver{Home: t.TempDir(), SSH: "none"}
			c, err := r.Resolve(o, rest[0])
			if tc.errs != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errs) {
					t.Fatalf("error %v, want %q", err, tc.errs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(c.Algorithms); msg != "" {
				t.Errorf("got %s", msg)
			}
		})
	}
}

func TestOrderHostKeyAlgorithms(t *testing.T) {
	def := kwHostKey.defaults()
	withRest := func(known ...string) []string {
		out := slices.Clone(known)
		for _, a := range ssh.SupportedAlgorithms().HostKeys {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
		return out
	}
	// Nothing known: OpenSSH's order, ssh-ed25519 before ECDSA before RSA.
	if got := orderHostKeyAlgorithms(def, nil); !slices.Equal(got, def) {
		t.Errorf("nothing known: %q", got)
	}
	// An RSA key known: the RSA algorithms (certificate ones too) first.
	got := orderHostKeyAlgorithms(def, withRest(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA))
	want := "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-256,ssh-ed25519-cert-v01@openssh.com"
	if !strings.HasPrefix(strings.Join(got, ","), want) {
		t.Errorf("RSA known: %q", got)
	}
	// The best algorithm's type known: the list stays as it is.
	if got := orderHostKeyAlgorithms(def, withRest(ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256)); !slices.Equal(got, def) {
		t.Errorf("ed25519 known: %q", got)
	}
	// A CA known for the host: every certificate algorithm first.
	got = orderHostKeyAlgorithms(def, withRest(ssh.CertAlgoED25519v01))
	if strings.Join(got[:6], ",") != strings.Join(def[:6], ",") || !strings.HasSuffix(got[5], "-cert-v01@openssh.com") {
		t.Errorf("CA known: %q", got)
	}
	got = orderHostKeyAlgorithms([]string{"ssh-ed25519", "rsa-sha2-512", "ssh-ed25519-cert-v01@openssh.com"}, withRest(ssh.CertAlgoED25519v01))
	if got[0] != "ssh-ed25519-cert-v01@openssh.com" {
		t.Errorf("CA known, plain first: %q", got)
	}
	if got := knownPrefix(withRest(ssh.KeyAlgoECDSA384)); !slices.Equal(got, []string{ssh.KeyAlgoECDSA384}) {
		t.Errorf("knownPrefix = %q", got)
	}
}

func TestNegotiationErrorWording(t *testing.T) {
	for what, want := range map[string]string{
		"key exchange":            "no matching key exchange method found",
		"host key":                "no matching host key type found",
		"client to server cipher": "no matching cipher found",
		"server to client MAC":    "no matching MAC found",
	} {
		err := errors.Join(errors.New("ssh: handshake failed"), &ssh.AlgorithmNegotiationError{What: what, RequestedAlgorithms: []string{"x", "y"}})
		ne := negotiationError(err, "10.0.0.1 port 22")
		if ne == nil || ne.Error() != "Unable to negotiate with 10.0.0.1 port 22: "+want+". Their offer: x,y" {
			t.Errorf("%s: %v", what, ne)
		}
	}
	if negotiationError(errors.New("EOF"), "x") != nil {
		t.Error("EOF taken for a negotiation failure")
	}
}

func TestParseAddKeysToAgent(t *testing.T) {
	for in, want := range map[string]string{
		"yes": "yes 0s", "no": "no 0s", "ask": "ask 0s", "confirm": "confirm 0s", "CONFIRM 30m": "confirm 30m0s",
		"1h": "yes 1h0m0s", "true": "yes 0s", "false": "no 0s", "confirm 1800": "confirm 30m0s", "3600": "yes 1h0m0s",
		"yes 1h": "error", "ask 5m": "error", "maybe": "error", "confirm x": "error", "": "error",
	} {
		a, err := parseAddKeysToAgent(in)
		got := a.Mode + " " + a.Lifetime.String()
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

func FuzzAssembleAlgorithms(f *testing.F) {
	f.Add("+aes128-cbc")
	f.Add("-*-cbc,!aes*")
	f.Add("^ssh-rsa,ecdsa*")
	f.Fuzz(func(t *testing.T, value string) {
		for _, k := range algoKeywords {
			k.validAlgorithmNames(value)
			got, err := assembleAlgorithms(value, k.defaults(), k.all())
			if err == nil && value != "" && value[0] != '-' && len(got) == 0 {
				t.Fatalf("%s %q: empty list without an error", k.name, value)
			}
		}
	})
}
