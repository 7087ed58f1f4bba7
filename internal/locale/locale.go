// Package locale decides which UTF-8 locale a session runs in.
//
// Mosh refuses to run without a UTF-8 locale ("mosh-server needs a UTF-8
// native locale to run"), and the classic failure is a client locale, say
// en_US.UTF-8, forwarded to a host that only has C.UTF-8. This package picks
// a locale the host really has: the requested one when it is UTF-8 and
// installed, otherwise an installed UTF-8 fallback (C.UTF-8 first) with a
// one-line notice, and a clear error only when the host has none at all.
//
// It reads no environment itself: callers pass the environment and the list
// of installed locales (from Installed), so the decision is a pure function.
package locale

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Vars are the locale variables mosh forwards (scripts/mosh.pl), LC_ALL last
// because it overrides the others.
var Vars = []string{
	"LANG", "LANGUAGE", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY",
	"LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT",
	"LC_IDENTIFICATION", "LC_ALL",
}

// IsVar reports whether name is one of the locale variables.
func IsVar(name string) bool {
	for _, v := range Vars {
		if v == name {
			return true
		}
	}
	return false
}

// lookup returns the value of name in env (last one wins, as exec does).
func lookup(env []string, name string) string {
	val := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			val = v
		}
	}
	return val
}

// CType returns the locale that decides the character set in env, as
// setlocale(LC_CTYPE, "") does: LC_ALL, then LC_CTYPE, then LANG, else "C".
func CType(env []string) string {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := lookup(env, name); v != "" {
			return v
		}
	}
	return "C"
}

// IsUTF8 reports whether a locale name says UTF-8 (xx_YY.UTF-8, C.utf8,
// xx_YY.UTF-8@euro…, or macOS's bare UTF-8).
func IsUTF8(name string) bool {
	if CodesetOnly(name) {
		return true
	}
	_, codeset, ok := strings.Cut(name, ".")
	if !ok {
		return false
	}
	codeset, _, _ = strings.Cut(codeset, "@")
	return normCodeset(codeset) == "utf8"
}

func normCodeset(c string) string {
	return strings.ToLower(strings.ReplaceAll(c, "-", ""))
}

// CodesetOnly reports whether name is a character set without a language:
// LC_CTYPE=UTF-8, which macOS's Terminal and iTerm2 set and which macOS and
// the BSDs accept (the C locale with UTF-8 characters), but glibc does not
// know, so a Linux host must be given another name for it.
func CodesetOnly(name string) bool {
	return !strings.ContainsAny(name, "._@") && normCodeset(name) == "utf8"
}

// Portable rewrites the NAME=VALUE locale variables a client forwards so
// that every host can read them: a bare UTF-8 (CodesetOnly) becomes the
// full UTF-8 locale the other variables name (LC_ALL, LC_CTYPE, then
// LANG), else C.UTF-8, the same character set under a name glibc, musl
// and FreeBSD know. Other variables pass unchanged; vars is not modified.
func Portable(vars []string) []string {
	full := "C.UTF-8"
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := lookup(vars, name); IsUTF8(v) && !CodesetOnly(v) {
			full = v
			break
		}
	}
	out := slices.Clone(vars)
	for i, kv := range out {
		if k, v, ok := strings.Cut(kv, "="); ok && IsVar(k) && CodesetOnly(v) {
			out[i] = k + "=" + full
		}
	}
	return out
}

// Normalize maps a locale name to the form `locale -a` prints
// (en_US.UTF-8 → en_US.utf8), for comparisons.
func Normalize(name string) string {
	if CodesetOnly(name) {
		return "UTF-8"
	}
	lang, rest, ok := strings.Cut(name, ".")
	if !ok {
		return name
	}
	codeset, mod, hasMod := strings.Cut(rest, "@")
	n := lang + "." + normCodeset(codeset)
	if hasMod {
		n += "@" + mod
	}
	return n
}

// Set is the locales installed on a host, normalized.
type Set map[string]bool

// Has reports whether name is installed. "C" and "POSIX" always are; C.UTF-8
// only when listed (glibc before 2.35 has no built-in C.UTF-8).
func (s Set) Has(name string) bool {
	switch Normalize(name) {
	case "C", "POSIX":
		return true
	}
	return s[Normalize(name)]
}

// ParseList parses the output of `locale -a`.
func ParseList(out []byte) Set {
	s := Set{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			s[Normalize(l)] = true
		}
	}
	return s
}

// Installed lists the host's locales with `locale -a`, falling back to the
// directories of the system's locale directory (localeDir) when the locale
// tool is missing.
func Installed() Set {
	if out, err := exec.Command("locale", "-a").Output(); err == nil {
		return ParseList(out)
	}
	s, _ := readLocaleDir(localeDir)
	return s
}

// readLocaleDir lists the locales installed as directories under dir.
func readLocaleDir(dir string) (Set, error) {
	s := Set{}
	ents, err := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() {
			s[Normalize(e.Name())] = true
		}
	}
	return s, err
}

// fallbacks are tried in order when the wanted locale can't be used. The
// bare UTF-8 is macOS's name for the C locale with UTF-8 (macOS has no
// C.UTF-8 before Sonoma), last because every macOS also has en_US.UTF-8.
var fallbacks = []string{"C.UTF-8", "en_US.UTF-8", "en_GB.UTF-8", "UTF-8"}

// ErrNoUTF8 means the host has no UTF-8 locale at all.
var ErrNoUTF8 = errors.New("no UTF-8 locale is installed on this host: install one (e.g. `locale-gen en_US.UTF-8`, or `apt-get install locales-all`)")

// Choice is the environment a session should run with.
type Choice struct {
	Env    []string // the full environment, locale variables replaced as needed
	Locale string   // the effective LC_CTYPE locale of Env
	Notice string   // one line for the user when the request was not honoured; "" otherwise
}

// Choose returns the environment a mosh server session runs in.
//
// As mosh-server does, the server's own locale is kept when it is UTF-8; else
// the client's variables (NAME=VALUE, from -l) replace every locale variable.
// Unlike mosh, a result that is not UTF-8 or not installed does not fail: an
// installed UTF-8 locale is used instead, with a notice saying so.
func Choose(env, clientVars []string, installed Set) (Choice, error) {
	own := CType(env)
	if IsUTF8(own) && installed.Has(own) {
		return Choice{Env: env, Locale: own}, nil
	}
	next := withoutLocale(env)
	for _, kv := range clientVars {
		if k, _, ok := strings.Cut(kv, "="); ok && IsVar(k) {
			next = append(next, kv)
		}
	}
	want := CType(next)
	if IsUTF8(want) && installed.Has(want) {
		return Choice{Env: next, Locale: want}, nil
	}
	use := ""
	for _, f := range fallbacks {
		if installed.Has(f) {
			use = f
			break
		}
	}
	if use == "" {
		for name := range installed {
			if IsUTF8(name) && (use == "" || name < use) {
				use = name
			}
		}
	}
	if use == "" {
		return Choice{}, ErrNoUTF8
	}
	// macOS's bare UTF-8 asks for a character set, not a language: any
	// UTF-8 locale gives exactly that, so there is nothing to tell.
	silent := CodesetOnly(want)
	reason := "is not installed here"
	if !IsUTF8(want) {
		reason = "is not UTF-8"
	}
	asked := want
	if !IsUTF8(want) && IsUTF8(own) {
		asked = own
	}
	// Keep the client's other categories (LC_TIME…) when they are usable,
	// but the character set must come from the fallback.
	final := withoutVars(next, "LC_ALL", "LC_CTYPE", "LANG")
	final = append(final, "LANG="+use)
	if v := lookup(next, "LC_ALL"); v != "" {
		final = withoutLocale(final)
		final = append(final, "LANG="+use)
	}
	notice := fmt.Sprintf("mosh-server: locale %s %s; using %s (install it with `locale-gen %s` to use it)", asked, reason, use, asked)
	if !IsUTF8(want) {
		notice = fmt.Sprintf("mosh-server: locale %s %s; using %s", asked, reason, use)
	}
	if silent {
		notice = ""
	}
	return Choice{Env: final, Locale: use, Notice: notice}, nil
}

func withoutLocale(env []string) []string { return withoutVars(env, Vars...) }

func withoutVars(env []string, names ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, k)
	})
}
