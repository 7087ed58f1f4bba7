package sshcfg

import (
	"fmt"
	"strings"
)

// localeVars are the variables mosh forwards to mosh-server with -l, in
// mosh's order (scripts/mosh.pl).
var localeVars = []string{
	"LANG", "LANGUAGE", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY",
	"LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT",
	"LC_IDENTIFICATION", "LC_ALL",
}

// fallbackLocale is what the server gets when the client's locale is not
// UTF-8 or the server lacks it: present on every glibc since 2.35 and on
// Debian/Ubuntu long before.
const fallbackLocale = "LANG=C.UTF-8"

// ServerLocale returns the NAME=VALUE pairs for mosh-server's -l options.
// A UTF-8 client locale is forwarded as mosh does (every locale variable
// that is set); otherwise the server gets LANG=C.UTF-8 and notice says so,
// because mosh-server refuses to run without a UTF-8 locale.
func ServerLocale(getenv func(string) (string, bool)) (vars []string, notice string) {
	for _, name := range localeVars {
		if v, ok := getenv(name); ok {
			vars = append(vars, name+"="+v)
		}
	}
	if ctype := effectiveCtype(getenv); !isUTF8Locale(ctype) {
		shown := ctype
		if shown == "" {
			shown = "unset (C)"
		}
		return []string{fallbackLocale}, fmt.Sprintf("ssh-mosh: local character set %s is not UTF-8; using %s on the server", shown, fallbackLocale)
	}
	return vars, ""
}

// effectiveCtype is the locale that decides the character set: LC_ALL, then
// LC_CTYPE, then LANG (POSIX precedence).
func effectiveCtype(getenv func(string) (string, bool)) string {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v, ok := getenv(name); ok && v != "" {
			return v
		}
	}
	return ""
}

// isUTF8Locale reports whether a locale name selects UTF-8 ("en_US.UTF-8",
// "C.utf8", "de_DE.UTF-8@euro").
func isUTF8Locale(name string) bool {
	l := strings.ToLower(name)
	if i := strings.IndexByte(l, '@'); i >= 0 {
		l = l[:i]
	}
	return strings.HasSuffix(l, ".utf-8") || strings.HasSuffix(l, ".utf8")
}
