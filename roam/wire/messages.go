package wire

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the diff payloads (src/protobufs/userinput.proto and
// hostinput.proto). The extensions of Instruction are encoded as ordinary
// embedded-message fields.
const (
	fieldInstruction protowire.Number = 1 // UserMessage/HostMessage.instruction

	fieldKeystroke protowire.Number = 2 // ClientBuffers extension
	fieldHostBytes protowire.Number = 2 // HostBuffers extension
	fieldResize    protowire.Number = 3 // both
	fieldEchoAck   protowire.Number = 7 // HostBuffers extension

	fieldKeys       protowire.Number = 4 // Keystroke.keys
	fieldHostString protowire.Number = 4 // HostBytes.hoststring
	fieldWidth      protowire.Number = 5 // ResizeMessage.width
	fieldHeight     protowire.Number = 6 // ResizeMessage.height
	fieldEchoAckNum protowire.Number = 8 // EchoAck.echo_ack_num
)

// MaxTermDim bounds a resize's width and height. A real mosh peer aborts on
// a size ≤ 0 (docs/PROTOCOL.md, Robustness traps, 6) and huge sizes exhaust memory, so
// parsing refuses sizes outside 1..MaxTermDim and senders stay inside it.
const MaxTermDim = 65535

// UserKind says which ClientBuffers extension a UserInstruction carries.
type UserKind uint8

// The client-to-server instruction kinds.
const (
	UserKeystroke UserKind = iota + 1
	UserResize
	UserExtensionOffer // ssh-mosh extension: see extensions.go
	// UserDetach: the client is leaving and the session stays for another
	// (ssh-mosh extension; docs/PROTOCOL-EXTENSIONS.md).
	UserDetach
)

// UserInstruction is one element of a ClientBuffers.UserMessage: keystroke
// bytes, or the client's window size.
type UserInstruction struct {
	Kind          UserKind
	Keys          []byte // UserKeystroke
	Width, Height int32  // UserResize
	Features      uint64 // UserExtensionOffer: Feature* bits
}

// HostKind says which HostBuffers extension a HostInstruction carries.
type HostKind uint8

// The server-to-client instruction kinds.
const (
	HostBytes HostKind = iota + 1
	HostResize
	HostEchoAck
	HostExitStatus // ssh-mosh extension: see extensions.go
	HostHistory    // ssh-mosh extension: see history.go
)

// HostInstruction is one element of a HostBuffers.HostMessage: a terminal
// update string, the server's terminal size, or the echo ack.
type HostInstruction struct {
	Kind          HostKind
	Bytes         []byte     // HostBytes: hoststring
	Width, Height int32      // HostResize
	EchoAck       uint64     // HostEchoAck
	Exit          ExitStatus // HostExitStatus
	History       History    // HostHistory
}

// appendResize appends the resize extension with both fields set, as mosh
// always sets them. The caller keeps them within 1..MaxTermDim.
func appendResize(b []byte, w, h int32) []byte {
	wv, hv := uint64(int64(w)), uint64(int64(h))
	b = protowire.AppendTag(b, fieldResize, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(fieldWidth)+protowire.SizeVarint(wv)+
		protowire.SizeTag(fieldHeight)+protowire.SizeVarint(hv)))
	b = protowire.AppendTag(b, fieldWidth, protowire.VarintType)
	b = protowire.AppendVarint(b, wv)
	b = protowire.AppendTag(b, fieldHeight, protowire.VarintType)
	return protowire.AppendVarint(b, hv)
}

// appendBytesExt appends extension ext holding a message with one bytes
// field inner = v.
func appendBytesExt(b []byte, ext, inner protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, ext, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(inner)+protowire.SizeBytes(len(v))))
	b = protowire.AppendTag(b, inner, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// instructionScratch is the room on the stack for encoding one instruction
// before it is wrapped: a keystroke's, an echo ack's or a small screen
// update's fits, so encoding one allocates nothing but its output.
const instructionScratch = 256

// instructionFraming is room enough for the tags and lengths around one
// instruction's payload (two nested length-delimited fields and the
// wrapper), so a message's output buffer is sized once, not grown from
// nothing field by field. A resize or an echo ack fits in it whole.
const instructionFraming = 24

// reserve returns b with room for n more bytes, in one allocation when it
// has to grow (slices.Grow makes two under the race detector).
func reserve(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// appendInstruction wraps an encoded Instruction as UserMessage/HostMessage
// field 1.
func appendInstruction(b, ins []byte) []byte {
	b = protowire.AppendTag(b, fieldInstruction, protowire.BytesType)
	return protowire.AppendBytes(b, ins)
}

// AppendUserMessage appends a ClientBuffers.UserMessage holding ins in
// order. Instructions of unknown kind are left out. (mosh merges
// consecutive keystrokes into one instruction; that is the caller's choice.)
func AppendUserMessage(b []byte, ins []UserInstruction) []byte {
	n := 0
	for _, in := range ins {
		n += len(in.Keys) + instructionFraming
	}
	b = reserve(b, n)
	var scratch [instructionScratch]byte
	one := scratch[:0]
	for _, in := range ins {
		one = one[:0]
		switch in.Kind {
		case UserKeystroke:
			one = appendBytesExt(one, fieldKeystroke, fieldKeys, in.Keys)
		case UserResize:
			one = appendResize(one, in.Width, in.Height)
		case UserExtensionOffer:
			one = appendOffer(one, in.Features)
		case UserDetach:
			one = appendDetach(one)
		default:
			continue
		}
		b = appendInstruction(b, one)
	}
	return b
}

// AppendHostMessage appends a HostBuffers.HostMessage holding ins in order.
// Instructions of unknown kind are left out.
func AppendHostMessage(b []byte, ins []HostInstruction) []byte {
	n := 0
	for _, in := range ins {
		n += len(in.Bytes) + instructionFraming
	}
	b = reserve(b, n)
	var scratch [instructionScratch]byte
	one := scratch[:0]
	for _, in := range ins {
		one = one[:0]
		switch in.Kind {
		case HostBytes:
			one = appendBytesExt(one, fieldHostBytes, fieldHostString, in.Bytes)
		case HostResize:
			one = appendResize(one, in.Width, in.Height)
		case HostEchoAck:
			one = protowire.AppendTag(one, fieldEchoAck, protowire.BytesType)
			one = protowire.AppendVarint(one, uint64(protowire.SizeTag(fieldEchoAckNum)+protowire.SizeVarint(in.EchoAck)))
			one = protowire.AppendTag(one, fieldEchoAckNum, protowire.VarintType)
			one = protowire.AppendVarint(one, in.EchoAck)
		case HostExitStatus:
			one = appendExitStatus(one, in.Exit)
		case HostHistory:
			one = appendHistory(one, in.History)
		default:
			continue
		}
		b = appendInstruction(b, one)
	}
	return b
}

// extensions is what one Instruction element holds. A singular embedded
// message that occurs twice is merged field by field, as protobuf does.
type extensions struct {
	hasKeys, hasResize, hasEchoAck bool
	keys                           []byte
	width, height                  int32
	echoAck                        uint64

	// ssh-mosh extensions (extensions.go), each known to one side only.
	hasOffer, hasExit, hasHistory, hasDetach bool
	features                                 uint64
	exit                                     ExitStatus
	history                                  History
}

// parseInstruction decodes one Instruction element. Field 7 (echoack) is
// only known to a HostMessage; in a UserMessage it is an unknown field whose
// contents the protobuf parser does not look into.
func parseInstruction(b []byte, host bool) (extensions, error) {
	var x extensions
	var inner error
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) {
		if typ != protowire.BytesType || inner != nil {
			return
		}
		switch num {
		case fieldKeystroke: // = fieldHostBytes
			x.hasKeys = true
			inner = walkFields(bs, func(n protowire.Number, t protowire.Type, _ uint64, v []byte) {
				if n == fieldKeys && t == protowire.BytesType {
					x.keys = v
				}
			})
		case fieldResize:
			x.hasResize = true
			inner = walkFields(bs, func(n protowire.Number, t protowire.Type, v uint64, _ []byte) {
				if t != protowire.VarintType {
					return
				}
				switch n {
				case fieldWidth:
					x.width = int32(v) // int32 fields truncate like the C++ parser
				case fieldHeight:
					x.height = int32(v)
				}
			})
		case fieldEchoAck:
			if !host {
				return
			}
			x.hasEchoAck = true
			inner = walkFields(bs, func(n protowire.Number, t protowire.Type, v uint64, _ []byte) {
				if n == fieldEchoAckNum && t == protowire.VarintType {
					x.echoAck = v
				}
			})
		case fieldExtensionOffer:
			if host {
				return
			}
			x.hasOffer = true
			f, err := parseOffer(bs)
			x.features |= f
			inner = err
		case fieldDetach:
			if host {
				return
			}
			x.hasDetach = true
			// Empty today; fields a later version adds are skipped, a
			// malformed message is an error like any of ours.
			inner = walkFields(bs, func(protowire.Number, protowire.Type, uint64, []byte) {})
		case fieldExitStatus:
			if !host {
				return
			}
			x.hasExit = true
			x.exit, inner = parseExitStatus(bs)
		case fieldHistory:
			if !host {
				return
			}
			x.hasHistory = true
			x.history, inner = parseHistory(bs)
		}
	})
	if err == nil {
		err = inner
	}
	return x, err
}

// checkSize rejects the sizes that crash a real peer or exhaust memory.
func checkSize(w, h int32) error {
	if w < 1 || w > MaxTermDim || h < 1 || h > MaxTermDim {
		return fmt.Errorf("wire: resize %dx%d outside 1..%d", w, h, MaxTermDim)
	}
	return nil
}

// forEachInstruction parses a User/HostMessage and calls fn for each
// Instruction element in order.
func forEachInstruction(b []byte, host bool, fn func(extensions) error) error {
	var inner error
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) {
		if num != fieldInstruction || typ != protowire.BytesType || inner != nil {
			return
		}
		x, err := parseInstruction(bs, host)
		if err == nil {
			err = fn(x)
		}
		inner = err
	})
	if err == nil {
		err = inner
	}
	return err
}

// ParseUserMessage decodes a ClientBuffers.UserMessage. Each Instruction is
// read as mosh's UserStream::apply_string reads it: keystroke if present,
// else resize, else (our extensions) an extension offer, else a detach, and
// one with none of them is skipped. Keys alias b. A resize
// outside 1..MaxTermDim is an error.
func ParseUserMessage(b []byte) ([]UserInstruction, error) {
	var out []UserInstruction
	err := forEachInstruction(b, false, func(x extensions) error {
		switch {
		case x.hasKeys:
			out = append(out, UserInstruction{Kind: UserKeystroke, Keys: x.keys})
		case x.hasResize:
			if err := checkSize(x.width, x.height); err != nil {
				return err
			}
			out = append(out, UserInstruction{Kind: UserResize, Width: x.width, Height: x.height})
		case x.hasOffer:
			out = append(out, UserInstruction{Kind: UserExtensionOffer, Features: x.features})
		case x.hasDetach:
			out = append(out, UserInstruction{Kind: UserDetach})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("wire: user message: %w", err)
	}
	return out, nil
}

// ParseHostMessage decodes a HostBuffers.HostMessage. Each Instruction is
// read as mosh's Complete::apply_string reads it: hostbytes if present, else
// resize, else echoack, else (our extensions) an exit status, else history,
// and one with none of them is skipped. Bytes and history texts alias b.
// A resize outside 1..MaxTermDim is an error. (Whether an echo ack goes
// backwards, which the real client asserts on, is for the caller to check.)
func ParseHostMessage(b []byte) ([]HostInstruction, error) {
	var out []HostInstruction
	err := forEachInstruction(b, true, func(x extensions) error {
		switch {
		case x.hasKeys:
			out = append(out, HostInstruction{Kind: HostBytes, Bytes: x.keys})
		case x.hasResize:
			if err := checkSize(x.width, x.height); err != nil {
				return err
			}
			out = append(out, HostInstruction{Kind: HostResize, Width: x.width, Height: x.height})
		case x.hasEchoAck:
			out = append(out, HostInstruction{Kind: HostEchoAck, EchoAck: x.echoAck})
		case x.hasExit:
			out = append(out, HostInstruction{Kind: HostExitStatus, Exit: x.exit})
		case x.hasHistory:
			out = append(out, HostInstruction{Kind: HostHistory, History: x.history})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("wire: host message: %w", err)
	}
	return out, nil
}
