package loginrec

// FreeBSD's libulog helper, setuid root, in the base system.
var helperPaths = []string{"/usr/libexec/ulog-helper"}

var helperKind = Helper{
	Add: func(host string) []string { return []string{"login", host} },
	Del: []string{"logout"},
}
