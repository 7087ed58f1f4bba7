package roam_test

import (
	"bytes"
	"fmt"
	"slices"
	"unsafe"

	"github.com/ssh-mosh/ssh-mosh/roam"
	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// keyState is a minimal client→server user stream, as mosh's UserStream: an
// append-only list of events whose diff against an earlier state is the
// UserMessage of the events since, consecutive keystrokes merged.
type keyState struct{ ev []wire.UserInstruction } // one key per keystroke event

var _ roam.State[*keyState] = (*keyState)(nil)

func (k *keyState) resize(w, h int32) {
	k.ev = append(k.ev, wire.UserInstruction{Kind: wire.UserResize, Width: w, Height: h})
}

func (k *keyState) keys(s string) {
	for i := range len(s) {
		k.ev = append(k.ev, wire.UserInstruction{Kind: wire.UserKeystroke, Keys: []byte{s[i]}})
	}
}

func evEqual(a, b wire.UserInstruction) bool {
	return a.Kind == b.Kind && a.Width == b.Width && a.Height == b.Height && bytes.Equal(a.Keys, b.Keys)
}

func (k *keyState) Clone() *keyState { return &keyState{ev: slices.Clone(k.ev)} }
func (k *keyState) Equal(o *keyState) bool {
	return slices.EqualFunc(k.ev, o.ev, evEqual)
}
func (k *keyState) DiffFrom(o *keyState) []byte {
	if len(o.ev) > len(k.ev) || !slices.EqualFunc(k.ev[:len(o.ev)], o.ev, evEqual) {
		panic(fmt.Sprintf("keyState: diff from a non-prefix (%d vs %d events)", len(o.ev), len(k.ev)))
	}
	var ins []wire.UserInstruction
	for _, e := range k.ev[len(o.ev):] {
		if n := len(ins); n > 0 && e.Kind == wire.UserKeystroke && ins[n-1].Kind == wire.UserKeystroke {
			ins[n-1].Keys = append(ins[n-1].Keys, e.Keys...)
			continue
		}
		ins = append(ins, wire.UserInstruction{Kind: e.Kind, Width: e.Width, Height: e.Height, Keys: bytes.Clone(e.Keys)})
	}
	if len(ins) == 0 {
		return nil
	}
	return wire.AppendUserMessage(nil, ins)
}
func (k *keyState) Apply(d []byte) error {
	ins, err := wire.ParseUserMessage(d)
	if err != nil {
		return err
	}
	for _, in := range ins {
		if in.Kind == wire.UserKeystroke {
			k.keys(string(in.Keys))
		} else {
			k.ev = append(k.ev, in)
		}
	}
	return nil
}
func (k *keyState) Subtract(p *keyState) {
	if k == p {
		k.ev = nil
		return
	}
	n := 0
	for n < len(k.ev) && n < len(p.ev) && evEqual(k.ev[n], p.ev[n]) {
		n++
	}
	k.ev = slices.Clone(k.ev[n:])
}
func (k *keyState) Size() int { return len(k.ev) * int(unsafe.Sizeof(wire.UserInstruction{})) }

// hostLog is the client's view of the server in interop 1: the host
// instructions applied along the chain of states, which is all the test
// needs to look for the shell's output.
type hostLog struct{ ins []wire.HostInstruction }

var _ roam.State[*hostLog] = (*hostLog)(nil)

func (h *hostLog) bytes() []byte { return wire.AppendHostMessage(nil, h.ins) }

func (h *hostLog) Clone() *hostLog       { return &hostLog{ins: slices.Clone(h.ins)} }
func (h *hostLog) Equal(o *hostLog) bool { return bytes.Equal(h.bytes(), o.bytes()) }
func (h *hostLog) Subtract(*hostLog)     {}
func (h *hostLog) Size() int             { return len(h.bytes()) }
func (h *hostLog) DiffFrom(o *hostLog) []byte {
	if h.Equal(o) {
		return nil
	}
	if len(o.ins) <= len(h.ins) && bytes.Equal((&hostLog{ins: h.ins[:len(o.ins)]}).bytes(), o.bytes()) {
		return wire.AppendHostMessage(nil, h.ins[len(o.ins):])
	}
	return h.bytes()
}
func (h *hostLog) Apply(d []byte) error {
	ins, err := wire.ParseHostMessage(d)
	if err != nil {
		return err
	}
	for _, in := range ins {
		in.Bytes = bytes.Clone(in.Bytes)
		h.ins = append(h.ins, in)
	}
	return nil
}

// screenState is our server's terminal in interop 2: one line of text drawn
// at the top left, plus the echo ack. Its diff is valid terminal output
// from any earlier state (home, erase line, text), which is what the real
// mosh-client's emulator replays.
type screenState struct {
	line    string
	echoAck uint64
}

var _ roam.State[*screenState] = (*screenState)(nil)

const drawPrefix = "\x1b[H\x1b[K"

func (s *screenState) Clone() *screenState       { c := *s; return &c }
func (s *screenState) Equal(o *screenState) bool { return *s == *o }
func (s *screenState) Subtract(*screenState)     {}
func (s *screenState) Size() int                 { return len(s.line) }
func (s *screenState) DiffFrom(o *screenState) []byte {
	var ins []wire.HostInstruction
	if s.echoAck != o.echoAck {
		ins = append(ins, wire.HostInstruction{Kind: wire.HostEchoAck, EchoAck: s.echoAck})
	}
	if s.line != o.line {
		ins = append(ins, wire.HostInstruction{Kind: wire.HostBytes, Bytes: []byte(drawPrefix + s.line)})
	}
	if len(ins) == 0 {
		return nil
	}
	return wire.AppendHostMessage(nil, ins)
}
func (s *screenState) Apply(d []byte) error {
	ins, err := wire.ParseHostMessage(d)
	if err != nil {
		return err
	}
	for _, in := range ins {
		switch in.Kind {
		case wire.HostEchoAck:
			s.echoAck = in.EchoAck
		case wire.HostBytes:
			s.line = string(bytes.TrimPrefix(in.Bytes, []byte(drawPrefix)))
		}
	}
	return nil
}
