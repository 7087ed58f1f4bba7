package sshcfg

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// AlgorithmLists are the algorithm lists a hop offers, assembled from
// Ciphers, MACs, KexAlgorithms, HostKeyAlgorithms, PubkeyAcceptedAlgorithms
// and CASignatureAlgorithms (and -c, -m) as ssh_config(5) defines them, then
// narrowed to what x/crypto/ssh implements. A nil list means the default.
type AlgorithmLists struct {
	Ciphers                  []string
	MACs                     []string
	KexAlgorithms            []string
	HostKeyAlgorithms        []string
	PubkeyAcceptedAlgorithms []string
	CASignatureAlgorithms    []string
	// HostKeyVerbatim keeps HostKeyAlgorithms in the configured order.
	// Otherwise (unset, or a list given with + or -) the types known for
	// the host in known_hosts go first, as OpenSSH's order_hostkeyalgs.
	HostKeyVerbatim bool
}

// algoKeyword is one algorithm keyword: what OpenSSH 9.2 knows for it and
// what x/crypto implements.
type algoKeyword struct {
	name string // as in ssh_config(5)
	key  string // lower case, as settings are keyed
	// openssh is OpenSSH 9.2's default list, in its order (myproposal.h).
	openssh []string
	// known is every name OpenSSH 9.2 accepts (ssh -Q order): wildcards
	// expand over it, in this order.
	known []string
	// what is the phrase for one element, as in "no cipher".
	what string
	// bad is OpenSSH's complaint about an unknown name.
	bad string
	// wildcards: OpenSSH accepts patterns in a +, ^ or plain list (the
	// key algorithm keywords); the others take patterns only after -.
	wildcards bool
}

var (
	kwCiphers = &algoKeyword{
		name: "Ciphers", key: "ciphers", what: "cipher", bad: "Bad SSH2 cipher spec",
		openssh: strings.Split("chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com", ","),
		known: strings.Split("3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,"+
			"aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com", ","),
	}
	kwMACs = &algoKeyword{
		name: "MACs", key: "macs", what: "MAC", bad: "Bad SSH2 MAC spec",
		openssh: strings.Split("umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"+
			"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,"+
			"hmac-sha2-256,hmac-sha2-512,hmac-sha1", ","),
		known: strings.Split("hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,"+
			"umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,"+
			"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,"+
			"hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com", ","),
	}
	kwKex = &algoKeyword{
		name: "KexAlgorithms", key: "kexalgorithms", what: "key exchange method", bad: "Bad SSH2 KexAlgorithms",
		openssh: strings.Split("sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,"+
			"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,"+
			"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256", ","),
		known: strings.Split("diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,"+
			"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,"+
			"diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"+
			"curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com", ","),
	}
	// opensshKeyAlgs is KEX_DEFAULT_PK_ALG, the default of both
	// HostKeyAlgorithms and PubkeyAcceptedAlgorithms.
	opensshKeyAlgs = strings.Split("ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
		"ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"+
		"sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
		"rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,"+
		"ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"+
		"rsa-sha2-512,rsa-sha2-256", ",")
	// opensshKeySigAlgs is `ssh -Q key-sig`: every key and signature name.
	opensshKeySigAlgs = strings.Split("ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,"+
		"sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,"+
		"ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,"+
		"ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,"+
		"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,"+
		"ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,"+
		"rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com", ",")
	kwHostKey = &algoKeyword{
		name: "HostKeyAlgorithms", key: "hostkeyalgorithms", what: "host key type", bad: "Bad key types",
		openssh: opensshKeyAlgs, known: opensshKeySigAlgs, wildcards: true,
	}
	kwPubkey = &algoKeyword{
		name: "PubkeyAcceptedAlgorithms", key: "pubkeyacceptedalgorithms", what: "public key algorithm", bad: "Bad key types",
		openssh: opensshKeyAlgs, known: opensshKeySigAlgs, wildcards: true,
	}
	kwCASig = &algoKeyword{
		name: "CASignatureAlgorithms", key: "casignaturealgorithms", what: "CA signature algorithm", bad: "Bad key types",
		openssh: strings.Split("ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"+
			"sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256", ","),
		known: strings.Split("ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"+
			"ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,"+
			"ssh-dss,ssh-rsa,rsa-sha2-256,rsa-sha2-512", ","),
		wildcards: true,
	}
	algoKeywords = []*algoKeyword{kwCiphers, kwMACs, kwKex, kwHostKey, kwPubkey, kwCASig}
)

// implemented returns what x/crypto/ssh can negotiate or sign for the
// keyword, secure ones first, then the insecure ones (which are offered
// only when the configuration names them).
func (k *algoKeyword) implemented() (secure, insecure []string) {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	switch k {
	case kwCiphers:
		return sup.Ciphers, ins.Ciphers
	case kwMACs:
		return sup.MACs, ins.MACs
	case kwKex:
		// x/crypto implements the libssh.org alias of curve25519-sha256
		// without listing it.
		return append(slices.Clone(sup.KeyExchanges), "curve25519-sha256@libssh.org"), ins.KeyExchanges
	case kwHostKey:
		return sup.HostKeys, ins.HostKeys
	case kwPubkey:
		// Certificates sign with their key's algorithm.
		secure = slices.Clone(sup.PublicKeyAuths)
		for _, a := range sup.PublicKeyAuths {
			secure = append(secure, certAlgo(a))
		}
		for _, a := range ins.PublicKeyAuths {
			insecure = append(insecure, a, certAlgo(a))
		}
		return secure, insecure
	case kwCASig:
		return sup.PublicKeyAuths, ins.PublicKeyAuths
	}
	return nil, nil
}

// certAlgo names the certificate form of a key or signature algorithm.
func certAlgo(a string) string {
	if base, ok := strings.CutSuffix(a, "@openssh.com"); ok {
		return base + "-cert-v01@openssh.com"
	}
	return a + "-cert-v01@openssh.com"
}

// defaults is the list offered when nothing is configured: what x/crypto
// implements without known weakness, in OpenSSH 9.2's order where OpenSSH
// has the name by default; a name OpenSSH 9.2 does not know
// (mlkem768x25519-sha256) keeps x/crypto's place for it.
func (k *algoKeyword) defaults() []string {
	secure, _ := k.implemented()
	var shared []string // in OpenSSH order
	for _, a := range k.openssh {
		if slices.Contains(secure, a) {
			shared = append(shared, a)
		}
	}
	var out []string
	next := 0
	for _, a := range secure {
		switch {
		case slices.Contains(k.openssh, a):
			out = append(out, shared[next])
			next++
		case !slices.Contains(k.known, a):
			out = append(out, a)
		}
	}
	return out
}

// opensshOffered is OpenSSH 9.2's default narrowed to what x/crypto
// implements: what ssh -G's default list comes to here.
func (k *algoKeyword) opensshOffered() []string {
	var out []string
	for _, a := range k.openssh {
		if k.isImplemented(a) {
			out = append(out, a)
		}
	}
	return out
}

// all is every name the keyword takes, the order in which wildcards
// expand: OpenSSH's names, then those only x/crypto has.
func (k *algoKeyword) all() []string {
	secure, insecure := k.implemented()
	out := slices.Clone(k.known)
	for _, a := range append(slices.Clone(secure), insecure...) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// isImplemented reports whether x/crypto can use a.
func (k *algoKeyword) isImplemented(a string) bool {
	secure, insecure := k.implemented()
	return slices.Contains(secure, a) || slices.Contains(insecure, a)
}

// assembleAlgorithms applies a configured value to the default list as
// OpenSSH's kex_assemble_names does: "+list" appends, "-list" removes what
// matches, "^list" puts first, a plain list replaces; every element but
// those after "-" may be a pattern, expanded over all in all's order, and
// a name is never repeated. A result with nothing left is an error.
func assembleAlgorithms(value string, def, all []string) ([]string, error) {
	if value == "" {
		return slices.Clone(def), nil
	}
	var list []string
	switch value[0] {
	case '-':
		pats := strings.Split(value[1:], ",")
		var out []string
		for _, a := range def {
			if matchPatternList(a, pats) != 1 {
				out = append(out, a)
			}
		}
		return out, nil
	case '+':
		list = catNames(def, strings.Split(value[1:], ","))
	case '^':
		list = catNames(strings.Split(value[1:], ","), def)
	default:
		list = strings.Split(value, ",")
	}
	var out []string
	for _, p := range list {
		if strings.HasPrefix(p, "!") {
			return nil, fmt.Errorf("negated pattern %q is only allowed after -", p)
		}
		var matching []string
		for _, a := range all {
			if wildMatch(p, a) {
				matching = append(matching, a)
			}
		}
		out = catNames(out, matching)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no known algorithm in %q", value)
	}
	return out, nil
}

// catNames appends b's names to a, skipping those already there.
func catNames(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// matchPatternList is OpenSSH's match_pattern_list for one name: 1 when a
// pattern matches and no negated one does, -1 when a negated one matches,
// 0 otherwise.
func matchPatternList(name string, patterns []string) int {
	got := 0
	for _, p := range patterns {
		if neg, ok := strings.CutPrefix(p, "!"); ok {
			if wildMatch(neg, name) {
				return -1
			}
			continue
		}
		if wildMatch(p, name) {
			got = 1
		}
	}
	return got
}

// validAlgorithmNames checks a configured value as OpenSSH's readconf
// does before using it: after "-" anything goes; otherwise every element
// must be a name the keyword takes, or, for the key algorithm keywords, a
// pattern that matches one.
func (k *algoKeyword) validAlgorithmNames(value string) bool {
	if strings.HasPrefix(value, "-") {
		return true
	}
	body := value
	if strings.HasPrefix(body, "+") || strings.HasPrefix(body, "^") {
		body = body[1:]
	}
	if body == "" {
		return false
	}
	all := k.all()
	for _, p := range strings.Split(body, ",") {
		if strings.ContainsAny(p, "*?!") {
			if !k.wildcards || strings.HasPrefix(p, "!") || !slices.ContainsFunc(all, func(a string) bool { return wildMatch(p, a) }) {
				return false
			}
			continue
		}
		if !slices.Contains(all, p) {
			return false
		}
	}
	return true
}

// buildAlgorithms fills c.Algorithms from the collected settings. Values
// that came from ssh -G are OpenSSH's final lists: they are not checked
// again (a newer ssh knows names this table does not) and only narrowed.
func buildAlgorithms(s *settings, c *Config, fail func(setting, string, string, ...any)) {
	for _, k := range algoKeywords {
		v, ok := s.first(k.key)
		if !ok {
			continue
		}
		fromSSH := v.where == "ssh -G"
		if !fromSSH && !k.validAlgorithmNames(v.value) {
			fail(v, k.name, "%s '%s': see `ssh -Q %s` for the names", k.bad, v.value, queryName(k))
			continue
		}
		list, err := assembleAlgorithms(v.value, k.defaults(), k.all())
		if err != nil {
			fail(v, k.name, "%v", err)
			continue
		}
		var offered []string
		for _, a := range list {
			if k.isImplemented(a) {
				offered = append(offered, a)
			}
		}
		if fromSSH && slices.Equal(offered, k.opensshOffered()) {
			// ssh -G prints the default in full: keep ours (nil), as
			// for a keyword not set, so both ways of resolving agree.
			continue
		}
		if len(offered) == 0 {
			secure, _ := k.implemented()
			fail(v, k.name, "leaves no %s that ssh-mosh implements: add one of %s", k.what, strings.Join(secure, ","))
			continue
		}
		switch k {
		case kwCiphers:
			c.Algorithms.Ciphers = offered
		case kwMACs:
			c.Algorithms.MACs = offered
		case kwKex:
			c.Algorithms.KexAlgorithms = offered
		case kwHostKey:
			c.Algorithms.HostKeyAlgorithms = offered
			if fromSSH {
				c.Algorithms.HostKeyVerbatim = !looksDefaultOrdered(list, k.openssh)
			} else {
				c.Algorithms.HostKeyVerbatim = v.value[0] != '+' && v.value[0] != '-'
			}
		case kwPubkey:
			c.Algorithms.PubkeyAcceptedAlgorithms = offered
		case kwCASig:
			c.Algorithms.CASignatureAlgorithms = offered
		}
	}
}

// looksDefaultOrdered guesses, for a HostKeyAlgorithms list printed by
// ssh -G (which has already applied + or -), whether it came from the
// default with names appended or removed, where OpenSSH reorders by
// known_hosts: the default's names keep their order and come first.
func looksDefaultOrdered(list, def []string) bool {
	pos, seenOther := -1, false
	for _, a := range list {
		i := slices.Index(def, a)
		if i < 0 {
			seenOther = true
			continue
		}
		if seenOther || i < pos {
			return false
		}
		pos = i
	}
	return true
}

func queryName(k *algoKeyword) string {
	switch k {
	case kwCiphers:
		return "cipher"
	case kwMACs:
		return "mac"
	case kwKex:
		return "kex"
	case kwCASig:
		return "sig"
	}
	return "key-sig"
}

// applyAlgorithmFlags makes -c and -m win over any Ciphers or MACs line,
// as in ssh (they replace the value whatever came before).
func applyAlgorithmFlags(s *settings, cl *CommandLine) {
	if v := cl.last('c'); v != "" {
		s.vals["ciphers"] = []setting{{v, "command line (-c)"}}
	}
	if v := cl.last('m'); v != "" {
		s.vals["macs"] = []setting{{v, "command line (-m)"}}
	}
}

// offered returns the lists for one handshake, defaults filled in.
func (l AlgorithmLists) offered() (kex, ciphers, macs, hostKeys []string) {
	pick := func(v []string, k *algoKeyword) []string {
		if v != nil {
			return v
		}
		return k.defaults()
	}
	return pick(l.KexAlgorithms, kwKex), pick(l.Ciphers, kwCiphers), pick(l.MACs, kwMACs), pick(l.HostKeyAlgorithms, kwHostKey)
}

// pubkeyAccepted returns PubkeyAcceptedAlgorithms, default filled in.
func (l AlgorithmLists) pubkeyAccepted() []string {
	if l.PubkeyAcceptedAlgorithms != nil {
		return l.PubkeyAcceptedAlgorithms
	}
	return kwPubkey.defaults()
}

// caSignature returns CASignatureAlgorithms, default filled in.
func (l AlgorithmLists) caSignature() []string {
	if l.CASignatureAlgorithms != nil {
		return l.CASignatureAlgorithms
	}
	return kwCASig.defaults()
}

// plainKeyType is the key type behind a host key or signature algorithm:
// ssh-rsa for rsa-sha2-512 and its certificate, ssh-ed25519 for
// ssh-ed25519-cert-v01@openssh.com.
func plainKeyType(a string) string {
	if base, ok := strings.CutSuffix(a, "-cert-v01@openssh.com"); ok {
		a = base
		if strings.HasPrefix(a, "sk-") {
			a += "@openssh.com"
		}
	}
	switch a {
	case ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512:
		return ssh.KeyAlgoRSA
	}
	return a
}

// orderHostKeyAlgorithms is OpenSSH's order_hostkeyalgs: when the best
// algorithm's key type is already known for the host the list stays as
// it is; otherwise the algorithms of the types known go first (every
// certificate algorithm when a CA is known for the host), each part
// keeping the list's order. known is what
// hostKeyChecker.knownKeyAlgorithms returned.
func orderHostKeyAlgorithms(list, known []string) []string {
	types := map[string]bool{}
	ca := false
	for _, a := range knownPrefix(known) {
		if strings.HasSuffix(a, "-cert-v01@openssh.com") {
			ca = true
		} else {
			types[plainKeyType(a)] = true
		}
	}
	if len(list) == 0 || (len(types) == 0 && !ca) || types[plainKeyType(list[0])] {
		return list
	}
	var first, last []string
	for _, a := range list {
		if (ca && strings.HasSuffix(a, "-cert-v01@openssh.com")) || types[plainKeyType(a)] {
			first = append(first, a)
		} else {
			last = append(last, a)
		}
	}
	return append(first, last...)
}

// knownPrefix cuts knownKeyAlgorithms' answer to the algorithms of the
// keys known for the host: it lists those, then every other algorithm
// x/crypto supports in x/crypto's order, which this recognises as the
// shortest tail that is exactly that rest.
func knownPrefix(known []string) []string {
	sup := ssh.SupportedAlgorithms().HostKeys
	for i := 0; i <= len(known); i++ {
		var rest []string
		for _, a := range sup {
			if !slices.Contains(known[:i], a) {
				rest = append(rest, a)
			}
		}
		if slices.Equal(known[i:], rest) {
			return known[:i]
		}
	}
	return known
}

// NegotiationError is a handshake where the server and ssh-mosh have no
// algorithm in common, worded as OpenSSH's "Unable to negotiate" message.
type NegotiationError struct {
	Remote     string   // "127.0.0.1 port 22", or "UNKNOWN port 65535" through a proxy
	What       string   // "cipher", "MAC", "key exchange method", "host key type"
	TheirOffer []string // the server's list
}

func (e *NegotiationError) Error() string {
	return fmt.Sprintf("Unable to negotiate with %s: no matching %s found. Their offer: %s",
		e.Remote, e.What, strings.Join(e.TheirOffer, ","))
}

// negotiationError turns x/crypto's negotiation failure into OpenSSH's
// wording; nil when err is another failure.
func negotiationError(err error, remote string) *NegotiationError {
	var ne *ssh.AlgorithmNegotiationError
	if !errors.As(err, &ne) {
		return nil
	}
	what := ne.What
	switch {
	case what == "key exchange":
		what = "key exchange method"
	case what == "host key":
		what = "host key type"
	case strings.HasSuffix(what, "cipher"):
		what = "cipher"
	case strings.HasSuffix(what, "MAC"):
		what = "MAC"
	case strings.HasSuffix(what, "compression"):
		what = "compression method"
	}
	return &NegotiationError{Remote: remote, What: what, TheirOffer: ne.RequestedAlgorithms}
}

// remoteID is how OpenSSH names the peer in that message: its address and
// port, or UNKNOWN port 65535 when ssh talks to a pipe (ProxyCommand, and
// ProxyJump, which ssh runs as a ProxyCommand).
func remoteID(nc net.Conn, c *Config) string {
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok && c.ProxyCommand == "" && c.Via == nil {
		return fmt.Sprintf("%s port %d", ta.IP, ta.Port)
	}
	return "UNKNOWN port 65535"
}

// certHostKeyCheck applies CASignatureAlgorithms as OpenSSH's
// check_host_key does: a host certificate signed with an algorithm
// outside the list is refused ("Certificate signed with disallowed
// algorithm", shown through notice) and its plain key checked instead.
func certHostKeyCheck(check ssh.HostKeyCallback, caAlgs []string, notice func(string)) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		if cert, ok := key.(*ssh.Certificate); ok && !slices.Contains(caAlgs, cert.Signature.Format) {
			notice("Certificate signed with disallowed algorithm")
			return check(hostname, remote, cert.Key)
		}
		return check(hostname, remote, key)
	}
}
