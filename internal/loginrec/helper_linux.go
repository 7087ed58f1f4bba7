package loginrec

// libutempter's helper, setgid utmp: Debian and Ubuntu keep it under the
// multiarch library directory, Fedora and openSUSE in /usr/libexec, Arch
// in /usr/lib.
var helperPaths = []string{
	"/usr/libexec/utempter/utempter",
	"/usr/lib/*/utempter/utempter",
	"/usr/lib/utempter/utempter",
	"/usr/local/libexec/utempter/utempter",
}

var helperKind = Helper{
	Add: func(host string) []string { return []string{"add", host} },
	Del: []string{"del"},
}
