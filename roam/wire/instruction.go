package wire

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// ProtocolVersion is MOSH_PROTOCOL_VERSION (src/network/network.h); a peer
// drops instructions carrying any other value.
const ProtocolVersion = 2

// Field numbers of TransportBuffers.Instruction
// (src/protobufs/transportinstruction.proto).
const (
	fieldProtocolVersion protowire.Number = 1
	fieldOldNum          protowire.Number = 2
	fieldNewNum          protowire.Number = 3
	fieldAckNum          protowire.Number = 4
	fieldThrowawayNum    protowire.Number = 5
	fieldDiff            protowire.Number = 6
	fieldChaff           protowire.Number = 7
)

// Instruction is TransportBuffers.Instruction: one state-sync message.
// Diff is a UserMessage (client to server) or a HostMessage (server to
// client); Chaff is random padding of 0..16 bytes.
type Instruction struct {
	ProtocolVersion                      uint32
	OldNum, NewNum, AckNum, ThrowawayNum uint64
	Diff, Chaff                          []byte
}

// AppendMarshal appends the protobuf encoding to b. Like mosh it writes all
// seven fields every time, zero or not, in field-number order, so our bytes
// match the real sender's.
func (in *Instruction) AppendMarshal(b []byte) []byte {
	b = protowire.AppendTag(b, fieldProtocolVersion, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(in.ProtocolVersion))
	for _, f := range [...]struct {
		num protowire.Number
		v   uint64
	}{
		{fieldOldNum, in.OldNum},
		{fieldNewNum, in.NewNum},
		{fieldAckNum, in.AckNum},
		{fieldThrowawayNum, in.ThrowawayNum},
	} {
		b = protowire.AppendTag(b, f.num, protowire.VarintType)
		b = protowire.AppendVarint(b, f.v)
	}
	b = protowire.AppendTag(b, fieldDiff, protowire.BytesType)
	b = protowire.AppendBytes(b, in.Diff)
	b = protowire.AppendTag(b, fieldChaff, protowire.BytesType)
	return protowire.AppendBytes(b, in.Chaff)
}

// UnmarshalInstruction decodes an Instruction with proto2 semantics as the
// C++ runtime applies them: a repeated scalar field keeps its last value,
// unknown fields (and known numbers with an unexpected wire type) are
// skipped, and a truncated or malformed encoding is an error. Diff and Chaff
// alias b.
func UnmarshalInstruction(b []byte) (*Instruction, error) {
	in := new(Instruction)
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) {
		switch {
		case typ == protowire.VarintType && num == fieldProtocolVersion:
			in.ProtocolVersion = uint32(v) // truncated like the C++ parser
		case typ == protowire.VarintType && num == fieldOldNum:
			in.OldNum = v
		case typ == protowire.VarintType && num == fieldNewNum:
			in.NewNum = v
		case typ == protowire.VarintType && num == fieldAckNum:
			in.AckNum = v
		case typ == protowire.VarintType && num == fieldThrowawayNum:
			in.ThrowawayNum = v
		case typ == protowire.BytesType && num == fieldDiff:
			in.Diff = bs
		case typ == protowire.BytesType && num == fieldChaff:
			in.Chaff = bs
		}
	})
	if err != nil {
		return nil, fmt.Errorf("wire: instruction: %w", err)
	}
	return in, nil
}

// errMalformed is wrapped by every protobuf decoding error.
var errMalformed = errors.New("malformed protobuf")

// walkFields calls fn for each top-level field of a protobuf message: v is
// the value of varint and fixed fields, bs that of length-delimited ones.
// Groups are skipped whole. It returns an error for anything the protobuf
// parser would refuse.
func walkFields(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, bs []byte)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %w", errMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		var (
			v  uint64
			bs []byte
		)
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v32 uint32
			v32, n = protowire.ConsumeFixed32(b)
			v = uint64(v32)
		case protowire.Fixed64Type:
			v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %w", errMalformed, num, protowire.ParseError(n))
		}
		b = b[n:]
		fn(num, typ, v, bs)
	}
	return nil
}
