package locale

// localeDir holds one directory per installed locale where `locale -a` is
// missing: glibc's compiled locales.
const localeDir = "/usr/lib/locale"
