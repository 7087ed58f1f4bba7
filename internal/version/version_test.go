package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	withMain := func(v string) *debug.BuildInfo { return &debug.BuildInfo{Main: debug.Module{Version: v}} }
	tests := []struct {
		name    string
		stamped string
		bi      *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"make dist stamps git describe", "v0.3.0-4-gabcdef0-dirty", withMain("(devel)"), true, "v0.3.0-4-gabcdef0-dirty"},
		{"stamp wins over the module version", "v1.0.0", withMain("v0.9.0"), true, "v1.0.0"},
		{"go install @version", "", withMain("v1.2.3"), true, "v1.2.3"},
		{"go build with VCS stamping", "", withMain("v0.0.0-20260101000000-abcdef012345+dirty"), true, "v0.0.0-20260101000000-abcdef012345+dirty"},
		{"plain go build", "", withMain("(devel)"), true, "devel"},
		{"no module version", "", withMain(""), true, "devel"},
		{"no build info", "", nil, false, "devel"},
	}
	for _, tt := range tests {
		if got := resolve(tt.stamped, tt.bi, tt.ok); got != tt.want {
			t.Errorf("%s: resolve = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStringUnstamped(t *testing.T) {
	// A test binary is not stamped and has no module version.
	if got := String(); got != "devel" {
		t.Errorf("String() = %q in a test binary, want devel", got)
	}
}
