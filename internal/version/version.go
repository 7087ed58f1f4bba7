// Package version says which ssh-mosh this is and which mosh it speaks.
package version

import (
	"runtime/debug"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// Mosh is the mosh release whose command lines and wire format both
// binaries follow.
const Mosh = "1.4.0"

// Protocol is the mosh protocol version on the wire (MOSH_PROTOCOL_VERSION).
const Protocol = wire.ProtocolVersion

// stamped is set at link time by `make install` and `make dist`
// (-ldflags "-X github.com/ssh-mosh/ssh-mosh/internal/version.stamped=…"),
// from `git describe`; empty in a plain `go build`.
var stamped string

// String is this build's version: the stamped one, else the module version
// `go install …@v1.2.3` records, else "devel".
func String() string {
	bi, ok := debug.ReadBuildInfo()
	return resolve(stamped, bi, ok)
}

func resolve(stamped string, bi *debug.BuildInfo, ok bool) string {
	if stamped != "" {
		return stamped
	}
	if ok && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
