// Package wire owns the byte formats of mosh 1.4 datagrams, as pure codecs
// with no I/O and no clock: the AES-128-OCB3 session that seals and opens
// datagrams, the timestamped packet inside, the fragment header, the
// TransportBuffers.Instruction protobuf with its zlib compression, the
// fragmenter and the single-instruction assembler, and the two diff payloads
// (ClientBuffers.UserMessage and HostBuffers.HostMessage).
//
// A datagram on the wire is laid out as
//
//	nonce tail (8, BE64 dir<<63 | seq) ‖ OCB3 ciphertext ‖ tag (16)
//	plaintext  = ts (u16 BE) ‖ ts_reply (u16 BE) ‖ fragment
//	fragment   = instruction id (u64 BE) ‖ final<<15 | number (u16 BE) ‖ data
//	data of all fragments of one id, concatenated = zlib(Instruction)
//
// Everything here follows the mosh 1.4 sources (src/crypto/crypto.cc,
// src/network/network.cc, src/network/transportfragment.cc,
// src/network/compressor.cc, src/protobufs/*.proto, src/statesync/user.cc,
// src/statesync/completeterminal.cc) and RFC 7253 (OCB). The protobufs are
// encoded by hand with google.golang.org/protobuf/encoding/protowire.
//
// Decoders never panic on peer input: inputs that make a real mosh peer abort
// (docs/PROTOCOL.md, Robustness traps: undecodable protobuf, inconsistent fragments, resizes to
// zero cells) are reported as errors here, and the transport drops them.
//
// # Limitations
//
// Replay protection is not this package's job: Open accepts any authentic
// datagram, and the transport rejects old sequence numbers. Session is not
// safe for concurrent use; neither are Fragmenter and Assembler.
package wire
