package sshcfg

import (
	"fmt"

	"github.com/ssh-mosh/ssh-mosh/internal/locale"
)

// fallbackLocale is what the server gets when the client's locale is not
// UTF-8 or the server lacks it: present on every glibc since 2.35 and on
// Debian/Ubuntu long before.
const fallbackLocale = "LANG=C.UTF-8"

// ServerLocale returns the NAME=VALUE pairs for mosh-server's -l options.
// A UTF-8 client locale is forwarded as mosh does (every locale variable
// that is set, a bare UTF-8 renamed by locale.Portable); otherwise the server gets LANG=C.UTF-8 and notice says so,
// because mosh-server refuses to run without a UTF-8 locale.
func ServerLocale(getenv func(string) (string, bool)) (vars []string, notice string) {
	for _, name := range locale.Vars {
		if v, ok := getenv(name); ok {
			vars = append(vars, name+"="+v)
		}
	}
	// macOS terminals set LC_CTYPE=UTF-8, a name Linux hosts do not know.
	vars = locale.Portable(vars)
	if ctype := locale.CType(vars); !locale.IsUTF8(ctype) {
		shown := ctype
		if len(vars) == 0 {
			shown = "unset (C)"
		}
		return []string{fallbackLocale}, fmt.Sprintf("local character set %s is not UTF-8; using %s on the server", shown, fallbackLocale)
	}
	return vars, ""
}
