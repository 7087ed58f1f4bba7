package wire

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Protocol extensions of ssh-mosh (docs/PROTOCOL-EXTENSIONS.md). Each is a
// new Instruction extension field that a stock mosh 1.4 peer parses as an
// unknown field and skips: UserStream::apply_string and
// Complete::apply_string act only on the extensions they know, and proto2
// keeps any other well-formed field without looking inside it.
//
// The client offers what it speaks in its user stream; the server sends an
// extension only to a client that offered it, so a stock mosh-client never
// receives one.
const (
	// fieldExtensionOffer is ClientBuffers.Instruction extension
	// `optional ExtensionOffer extension_offer = 4096`.
	fieldExtensionOffer protowire.Number = 4096
	// fieldExitStatus is HostBuffers.Instruction extension
	// `optional ExitStatus exit_status = 4097`.
	fieldExitStatus protowire.Number = 4097
	// fieldDetach is ClientBuffers.Instruction extension
	// `optional Detach detach = 4099` (4098 is the host's history).
	fieldDetach protowire.Number = 4099

	fieldOfferFeatures protowire.Number = 1 // ExtensionOffer.features (uint64 bit set)
	fieldExitCode      protowire.Number = 1 // ExitStatus.code (uint32, 0..255)
	fieldExitSignal    protowire.Number = 2 // ExitStatus.signal (uint32, 1..127)
)

// Feature bits of an ExtensionOffer. Bits a receiver does not know are
// ignored, so an offer can grow.
const (
	// FeatureExitStatus asks the server for the program's exit status
	// (HostExitStatus) when the program ends.
	FeatureExitStatus uint64 = 1 << 0
)

// ExitStatus is how the remote program ended: with Code (0..255), or, when
// Signal is non-zero, killed by that signal.
type ExitStatus struct {
	Code   uint8
	Signal uint8
}

func (e ExitStatus) String() string {
	if e.Signal != 0 {
		return fmt.Sprintf("killed by signal %d", e.Signal)
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// maxSignal bounds a signal number: POSIX wait statuses keep it in 7 bits.
const maxSignal = 127

var errBadExitStatus = errors.New("wire: exit status out of range")

// appendOffer appends the extension_offer extension.
func appendOffer(b []byte, features uint64) []byte {
	var m []byte
	m = protowire.AppendTag(m, fieldOfferFeatures, protowire.VarintType)
	m = protowire.AppendVarint(m, features)
	b = protowire.AppendTag(b, fieldExtensionOffer, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// appendDetach appends the detach extension, an empty Detach message.
func appendDetach(b []byte) []byte {
	b = protowire.AppendTag(b, fieldDetach, protowire.BytesType)
	return protowire.AppendBytes(b, nil)
}

// appendExitStatus appends the exit_status extension: the code, or the
// signal alone when there is one.
func appendExitStatus(b []byte, e ExitStatus) []byte {
	var m []byte
	if e.Signal != 0 {
		m = protowire.AppendTag(m, fieldExitSignal, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(e.Signal))
	} else {
		m = protowire.AppendTag(m, fieldExitCode, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(e.Code))
	}
	b = protowire.AppendTag(b, fieldExitStatus, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// parseOffer reads an ExtensionOffer; a repeated features field ORs, as
// the offer is a set.
func parseOffer(b []byte) (uint64, error) {
	var features uint64
	err := walkFields(b, func(n protowire.Number, t protowire.Type, v uint64, _ []byte) {
		if n == fieldOfferFeatures && t == protowire.VarintType {
			features |= v
		}
	})
	return features, err
}

// parseExitStatus reads an ExitStatus message. A signal wins over a code;
// an empty message is code 0. Values outside a wait status's range are an
// error.
func parseExitStatus(b []byte) (ExitStatus, error) {
	var code, sig uint64
	err := walkFields(b, func(n protowire.Number, t protowire.Type, v uint64, _ []byte) {
		if t != protowire.VarintType {
			return
		}
		switch n {
		case fieldExitCode:
			code = v
		case fieldExitSignal:
			sig = v
		}
	})
	if err != nil {
		return ExitStatus{}, err
	}
	if sig > maxSignal || (sig == 0 && code > 255) {
		return ExitStatus{}, fmt.Errorf("%w: code %d, signal %d", errBadExitStatus, code, sig)
	}
	if sig != 0 {
		return ExitStatus{Signal: uint8(sig)}, nil
	}
	return ExitStatus{Code: uint8(code)}, nil
}
