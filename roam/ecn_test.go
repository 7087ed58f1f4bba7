//go:build linux || darwin || freebsd

package roam

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ecnCEAll is ecnCE over unix.ParseSocketControlMessage, the oracle of the
// one-message-at-a-time parse.
func ecnCEAll(oob []byte) bool {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return false
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.IPPROTO_IP && (m.Header.Type == unix.IP_TOS || m.Header.Type == unix.IP_RECVTOS):
			if len(m.Data) >= 1 && m.Data[0]&0x03 == 0x03 {
				return true
			}
		case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_TCLASS:
			if len(m.Data) >= 4 && binary.NativeEndian.Uint32(m.Data)&0x03 == 0x03 {
				return true
			}
		}
	}
	return false
}

// cmsg builds one control message as the kernel lays it out.
func cmsg(level, typ int, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = int32(level), int32(typ)
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func ecnSeeds() [][]byte {
	u32 := func(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
	other := cmsg(unix.SOL_SOCKET, unix.SCM_RIGHTS, u32(7))
	return [][]byte{
		nil,
		cmsg(unix.IPPROTO_IP, unix.IP_TOS, []byte{0x03}),
		cmsg(unix.IPPROTO_IP, unix.IP_TOS, []byte{0x02}),
		cmsg(unix.IPPROTO_IPV6, unix.IPV6_TCLASS, u32(0x03)),
		cmsg(unix.IPPROTO_IPV6, unix.IPV6_TCLASS, u32(0x01)),
		append(other, cmsg(unix.IPPROTO_IP, unix.IP_TOS, []byte{0xff})...),
		cmsg(unix.IPPROTO_IP, unix.IP_TOS, []byte{0x03})[:5], // truncated header
	}
}

func TestECNCE(t *testing.T) {
	want := []bool{false, true, false, true, false, true, false}
	for i, oob := range ecnSeeds() {
		if got := ecnCE(oob); got != want[i] {
			t.Errorf("seed %d: ecnCE = %v, want %v", i, got, want[i])
		}
	}
	two := ecnSeeds()[5]
	if a := testing.AllocsPerRun(100, func() { ecnCE(two) }); a != 0 {
		t.Errorf("ecnCE: %v allocations", a)
	}
}

// FuzzECNCE: the parse agrees with the standard one on any bytes.
func FuzzECNCE(f *testing.F) {
	for _, s := range ecnSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, oob []byte) {
		if got, want := ecnCE(oob), ecnCEAll(oob); got != want {
			t.Fatalf("ecnCE(%x) = %v, ParseSocketControlMessage says %v", oob, got, want)
		}
	})
}
