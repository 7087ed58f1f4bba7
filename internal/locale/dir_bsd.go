//go:build !linux

package locale

// localeDir holds one directory per installed locale where `locale -a` is
// missing: macOS and FreeBSD keep them in /usr/share/locale (with a bare
// UTF-8 among them on macOS).
const localeDir = "/usr/share/locale"
