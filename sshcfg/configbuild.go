package sshcfg

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/sshescape"
)

// defaultIdentityFiles are OpenSSH 9's defaults, in its order, used when no
// IdentityFile is configured.
var defaultIdentityFiles = []string{
	"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519",
	"~/.ssh/id_ed25519_sk", "~/.ssh/id_xmss", "~/.ssh/id_dsa",
}

const (
	defaultUserKnownHosts   = "~/.ssh/known_hosts ~/.ssh/known_hosts2"
	defaultGlobalKnownHosts = "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2"
)

// build turns collected settings into a Config, filling OpenSSH's defaults
// and expanding tokens. With source "ssh -G" the settings are ssh's final
// values: defaults are already filled and known_hosts names expanded.
func (r *Resolver) build(s *settings, dest destination, source string) (*Config, error) {
	fromSSH := source == "ssh -G"
	c := &Config{Host: dest.host, Source: source}
	get := func(key, def string) setting {
		if v, ok := s.first(key); ok {
			return v
		}
		return setting{def, "default"}
	}
	var errs []error
	fail := func(v setting, key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s %q: "+format, append([]any{v.where, key, v.value}, args...)...))
	}
	boolean := func(key, def string) bool {
		v := get(key, def)
		switch strings.ToLower(v.value) {
		case "yes", "true":
			return true
		case "no", "false":
			return false
		}
		fail(v, key, "use yes or no")
		return false
	}

	if v, ok := s.first("moshtransport"); ok {
		switch c.MoshTransport = strings.ToLower(v.value); c.MoshTransport {
		case "auto", "udp", "ssh":
		default:
			fail(v, "MoshTransport", "use auto, udp or ssh")
		}
	}
	if v, ok := s.first("moshfallback"); ok {
		switch c.MoshFallback = strings.ToLower(v.value); c.MoshFallback {
		case "yes", "no":
		default:
			fail(v, "MoshFallback", "use yes or no")
		}
	}
	c.MoshServer = get("moshserver", "").value

	c.User = get("user", r.LocalUser).value
	if v := get("port", "22"); true {
		p, err := strconv.Atoi(v.value)
		if err != nil || p <= 0 || p > 65535 {
			fail(v, "Port", "use a number from 1 to 65535")
		}
		c.Port = p
	}
	c.HostName = dest.host
	if v, ok := s.first("hostname"); ok {
		h, err := (&tokenContext{host: dest.host}).expand(v.value, hostNameTokens)
		switch {
		case err != nil:
			fail(v, "HostName", "%v", err)
		case strings.TrimSpace(h) == "":
			// ssh: no argument after keyword "hostname".
			fail(v, "HostName", "no host name after the keyword: give one")
		}
		c.HostName = h
	}
	c.HostName = strings.ToLower(c.HostName)
	c.HostKeyAlias = get("hostkeyalias", "").value

	jumpRaw := get("proxyjump", "")
	jumps, err := parseJumpList(jumpRaw.value, jumpRaw.where)
	if err != nil {
		errs = append(errs, err)
	}
	c.ProxyJump = jumps

	tc := &tokenContext{
		host: c.HostName, originalHost: dest.host, port: c.Port, remoteUser: c.User,
		localUser: r.LocalUser, home: r.Home, uid: r.UID, localHost: r.LocalHostname,
		localShort: strings.SplitN(r.LocalHostname, ".", 2)[0], hostKeyAlias: dest.host,
	}
	if c.HostKeyAlias != "" {
		tc.hostKeyAlias = c.HostKeyAlias
	}
	expandFile := func(v setting, key string) string {
		p, err := tc.expandPath(v.value)
		if err != nil {
			var unk *errUnknownToken
			if errors.As(err, &unk) && !fromSSH {
				errs = append(errs, &needsSSHError{v.where, fmt.Sprintf("%s: %v", key, err)})
			} else {
				fail(v, key, "%v", err)
			}
		}
		return p
	}

	ids := s.vals["identityfile"]
	if len(ids) == 0 {
		for _, f := range defaultIdentityFiles {
			ids = append(ids, setting{f, "default"})
		}
	}
	for _, v := range ids {
		c.IdentityFiles = append(c.IdentityFiles, expandFile(v, "IdentityFile"))
	}
	for _, v := range s.vals["certificatefile"] {
		c.CertificateFiles = append(c.CertificateFiles, expandFile(v, "CertificateFile"))
	}
	c.IdentitiesOnly = boolean("identitiesonly", "no")
	if v, ok := s.first("identityagent"); ok {
		c.IdentityAgent = v.value
		if v.value != "none" && v.value != "SSH_AUTH_SOCK" {
			c.IdentityAgent = expandFile(v, "IdentityAgent")
		}
	}

	if v, ok := s.first("controlpath"); ok && v.value != "none" {
		c.ControlPath = v.value
		if !fromSSH { // ssh -G prints it expanded
			c.ControlPath = expandFile(v, "ControlPath")
		}
	}

	for _, key := range []string{"userknownhostsfile", "globalknownhostsfile"} {
		def := defaultUserKnownHosts
		if key == "globalknownhostsfile" {
			def = defaultGlobalKnownHosts
		}
		v := get(key, def)
		var files []string
		for _, w := range splitArgs(v.value) {
			if !fromSSH {
				w = expandFile(setting{w, v.where}, key)
			}
			files = append(files, w)
		}
		if key == "userknownhostsfile" {
			c.UserKnownHostsFiles = files
		} else {
			c.GlobalKnownHostsFiles = files
		}
	}
	switch v := get("stricthostkeychecking", "ask"); strings.ToLower(v.value) {
	case "yes", "true":
		c.StrictHostKeyChecking = "yes"
	case "no", "false", "off":
		c.StrictHostKeyChecking = "no"
	case "ask":
		c.StrictHostKeyChecking = "ask"
	case "accept-new":
		c.StrictHostKeyChecking = "accept-new"
	default:
		fail(v, "StrictHostKeyChecking", "use yes, accept-new, no or ask")
	}
	c.HashKnownHosts = boolean("hashknownhosts", "no")
	if v, ok := s.first("revokedhostkeys"); ok && !strings.EqualFold(v.value, "none") {
		c.RevokedHostKeys = expandFile(v, "RevokedHostKeys")
	}
	if v, ok := s.first("knownhostscommand"); ok && !strings.EqualFold(v.value, "none") {
		c.KnownHostsCommand = v.value
	}
	switch v := get("loglevel", "INFO"); strings.ToUpper(v.value) {
	case "QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3":
		c.LogLevel = strings.ToUpper(v.value)
	default:
		fail(v, "LogLevel", "use QUIET, FATAL, ERROR, INFO, VERBOSE or DEBUG")
	}
	c.CheckHostIP = boolean("checkhostip", "no")

	if v := get("proxycommand", "none"); !strings.EqualFold(v.value, "none") {
		pc, err := tc.expand(v.value, proxyCommandTokens)
		if err != nil {
			var unk *errUnknownToken
			if errors.As(err, &unk) && !fromSSH {
				errs = append(errs, &needsSSHError{v.where, fmt.Sprintf("ProxyCommand: %v", err)})
			} else {
				fail(v, "ProxyCommand", "%v", err)
			}
		}
		c.ProxyCommand = pc
	}

	c.BatchMode = boolean("batchmode", "no")
	if v := get("escapechar", "~"); true {
		parse := sshescape.ParseChar
		if fromSSH {
			parse = sshescape.ParseDump
		}
		ch, err := parse(v.value)
		if err != nil {
			fail(v, "EscapeChar", "use one character, ^ and a letter (^]), or none")
		}
		c.EscapeChar = ch
	}
	if v := get("connecttimeout", "none"); v.value != "none" {
		d, err := parseSSHTime(v.value)
		if err != nil {
			fail(v, "ConnectTimeout", "use seconds, e.g. 10")
		}
		c.ConnectTimeout = d
	}
	aliveDefault := "0"
	if c.BatchMode {
		aliveDefault = "300" // ssh turns keepalives on in batch mode
	}
	if v := get("serveraliveinterval", aliveDefault); true {
		d, err := parseSSHTime(v.value)
		if err != nil {
			fail(v, "ServerAliveInterval", "use seconds, e.g. 30")
		}
		c.ServerAliveInterval = d
	}
	c.ServerAliveCountMax = intSetting(get("serveralivecountmax", "3"), "ServerAliveCountMax", fail)
	c.NumberOfPasswordPrompts = intSetting(get("numberofpasswordprompts", "3"), "NumberOfPasswordPrompts", fail)

	switch v := get("addressfamily", "any"); strings.ToLower(v.value) {
	case "any", "inet", "inet6":
		c.AddressFamily = strings.ToLower(v.value)
	default:
		fail(v, "AddressFamily", "use any, inet or inet6")
	}
	c.PasswordAuthentication = boolean("passwordauthentication", "yes")
	c.KbdInteractiveAuth = boolean("kbdinteractiveauthentication", "yes")
	switch v := get("pubkeyauthentication", "yes"); strings.ToLower(v.value) {
	case "yes", "true", "unbound", "host-bound":
		c.PubkeyAuthentication = true
	case "no", "false":
	default:
		fail(v, "PubkeyAuthentication", "use yes or no")
	}
	if v, ok := s.first("preferredauthentications"); ok {
		c.PreferredAuthentications = strings.Split(v.value, ",")
	}

	for _, v := range s.vals["sendenv"] {
		for _, w := range splitArgs(v.value) {
			if rm, ok := strings.CutPrefix(w, "-"); ok {
				kept := c.SendEnv[:0]
				for _, e := range c.SendEnv {
					if !wildMatch(rm, e) {
						kept = append(kept, e)
					}
				}
				c.SendEnv = kept
				continue
			}
			c.SendEnv = append(c.SendEnv, w)
		}
	}
	for _, v := range s.vals["setenv"] {
		words := splitArgs(v.value)
		if fromSSH {
			words = []string{v.value} // ssh -G prints one variable per line, unquoted
		}
		for _, w := range words {
			if !strings.Contains(w, "=") {
				fail(v, "SetEnv", "use NAME=VALUE")
				continue
			}
			c.SetEnv = append(c.SetEnv, w)
		}
	}

	if v, ok := s.first("remotecommand"); ok && !strings.EqualFold(v.value, "none") {
		// ssh expands the tokens before it runs the command (ssh -G
		// prints it expanded).
		rc := v.value
		if !fromSSH {
			var err error
			if rc, err = tc.expand(v.value, fileTokens); err != nil {
				var unk *errUnknownToken
				if errors.As(err, &unk) {
					errs = append(errs, &needsSSHError{v.where, fmt.Sprintf("RemoteCommand: %v", err)})
				} else {
					fail(v, "RemoteCommand", "%v", err)
				}
			}
		}
		c.RemoteCommand = rc
	}
	c.RequestTTY = strings.ToLower(get("requesttty", "auto").value)
	if c.RequestTTY == "false" {
		c.RequestTTY = "no"
	} else if c.RequestTTY == "true" {
		c.RequestTTY = "yes"
	}
	c.SessionType = strings.ToLower(get("sessiontype", "default").value)
	for _, v := range s.vals["localforward"] {
		c.LocalForwards = append(c.LocalForwards, v.value)
	}
	for _, v := range s.vals["remoteforward"] {
		c.RemoteForwards = append(c.RemoteForwards, v.value)
	}
	for _, v := range s.vals["dynamicforward"] {
		c.DynamicForwards = append(c.DynamicForwards, v.value)
	}
	c.ForkAfterAuthentication = boolean("forkafterauthentication", "no")
	c.ForwardAgent = get("forwardagent", "no").value
	c.GatewayPorts = boolean("gatewayports", "no")
	c.ExitOnForwardFailure = boolean("exitonforwardfailure", "no")
	c.ClearAllForwardings = boolean("clearallforwardings", "no")
	c.RequiredRSASize = intSetting(get("requiredrsasize", "1024"), "RequiredRSASize", fail)
	for _, n := range needsOpenSSH {
		if v, ok := s.first(n.key); ok && n.when(strings.ToLower(v.value)) {
			c.NeedsOpenSSH = append(c.NeedsOpenSSH, n.name+" "+v.value)
		}
	}
	buildAlgorithms(s, c, fail)
	if v := get("addkeystoagent", "no"); true {
		a, err := parseAddKeysToAgent(v.value)
		if err != nil {
			fail(v, "AddKeysToAgent", "%v", err)
		}
		c.AddKeysToAgent = a
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// needsOpenSSH are the ssh_config settings a roaming session cannot honour
// (yet): with any of them set, the login is OpenSSH's, so that nothing the
// user asked for, above all nothing about security, is silently dropped.
// docs/ssh_config.md lists every keyword and what becomes of it.
var needsOpenSSH = []struct {
	key, name string
	when      func(v string) bool
}{
	{"forwardx11", "ForwardX11", isYes},
	{"tunnel", "Tunnel", func(v string) bool { return v != "no" && v != "false" }},
	{"permitlocalcommand", "PermitLocalCommand", isYes},
	{"pkcs11provider", "PKCS11Provider", func(v string) bool { return v != "none" }},
	{"proxyusefdpass", "ProxyUseFdpass", isYes},
	{"checkhostip", "CheckHostIP", isYes},
	{"hostbasedauthentication", "HostbasedAuthentication", isYes},
	{"bindaddress", "BindAddress", func(string) bool { return true }},
	{"bindinterface", "BindInterface", func(string) bool { return true }},
	{"verifyhostkeydns", "VerifyHostKeyDNS", func(v string) bool { return v != "no" && v != "false" }},
	{"nohostauthenticationforlocalhost", "NoHostAuthenticationForLocalhost", isYes},
}

func isYes(v string) bool { return v == "yes" || v == "true" }

func intSetting(v setting, key string, fail func(setting, string, string, ...any)) int {
	n, err := strconv.Atoi(v.value)
	if err != nil || n < 0 {
		fail(v, key, "use a whole number")
	}
	return n
}

// parseSSHTime parses OpenSSH's time format: seconds, or a sequence of
// number+unit (s, m, h, d, w), e.g. "90", "1m30s". Like OpenSSH's convtime
// it refuses a total above INT_MAX seconds, which would otherwise wrap
// into a negative duration.
func parseSSHTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty time")
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= maxSSHTime {
		return time.Duration(n) * time.Second, nil
	}
	units := map[byte]time.Duration{'s': time.Second, 'S': time.Second, 'm': time.Minute, 'M': time.Minute,
		'h': time.Hour, 'H': time.Hour, 'd': 24 * time.Hour, 'D': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'W': 7 * 24 * time.Hour}
	var total time.Duration
	num := ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			num += string(c)
			continue
		}
		u, ok := units[c]
		if !ok || num == "" {
			return 0, fmt.Errorf("bad time %q", s)
		}
		if !addSSHTime(&total, num, u) {
			return 0, fmt.Errorf("time %q is above %d seconds", s, maxSSHTime)
		}
		num = ""
	}
	if num != "" && !addSSHTime(&total, num, time.Second) {
		return 0, fmt.Errorf("time %q is above %d seconds", s, maxSSHTime)
	}
	return total, nil
}

// maxSSHTime is the largest time OpenSSH accepts, in seconds (INT_MAX).
const maxSSHTime = math.MaxInt32

// addSSHTime adds num units to total, reporting false when the sum would
// pass maxSSHTime seconds.
func addSSHTime(total *time.Duration, num string, unit time.Duration) bool {
	n, err := strconv.Atoi(num)
	limit := maxSSHTime * time.Second
	if err != nil || time.Duration(n) > (limit-*total)/unit {
		return false
	}
	*total += time.Duration(n) * unit
	return true
}

// splitArgs splits a multi-word keyword value, honouring double quotes as
// OpenSSH's argv_split does for such keywords.
func splitArgs(s string) []string {
	w, err := SplitShellWords(s)
	if err != nil {
		return strings.Fields(s)
	}
	return w
}
