package wire

import (
	"bytes"
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// The bytes of each extension, as docs/PROTOCOL-EXTENSIONS.md gives them.
func TestExtensionWireBytes(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"offer exit status", AppendUserMessage(nil, []UserInstruction{{Kind: UserExtensionOffer, Features: FeatureExitStatus}}),
			"0a 06 82 80 02 02 08 01"},
		{"offer then resize", AppendUserMessage(nil, []UserInstruction{{Kind: UserExtensionOffer, Features: FeatureExitStatus}, {Kind: UserResize, Width: 80, Height: 24}}),
			"0a 06 82 80 02 02 08 01  0a 06 1a 04 28 50 30 18"},
		{"detach", AppendUserMessage(nil, []UserInstruction{{Kind: UserDetach}}),
			"0a 04 9a 80 02 00"},
		{"keys then detach", AppendUserMessage(nil, []UserInstruction{{Kind: UserKeystroke, Keys: []byte("x")}, {Kind: UserDetach}}),
			"0a 05 12 03 22 01 78  0a 04 9a 80 02 00"},
		{"exit 3", AppendHostMessage(nil, []HostInstruction{{Kind: HostExitStatus, Exit: ExitStatus{Code: 3}}}),
			"0a 06 8a 80 02 02 08 03"},
		{"exit 0", AppendHostMessage(nil, []HostInstruction{{Kind: HostExitStatus}}),
			"0a 06 8a 80 02 02 08 00"},
		{"SIGTERM", AppendHostMessage(nil, []HostInstruction{{Kind: HostExitStatus, Exit: ExitStatus{Signal: 15}}}),
			"0a 06 8a 80 02 02 10 0f"},
	} {
		if want := unhex(t, c.want); !bytes.Equal(c.got, want) {
			t.Errorf("%s: got %x, want %x", c.name, c.got, want)
		}
	}
}

// Each side reads only its own extension; the other's field number is an
// unknown field it skips, as a stock peer skips both. The known extensions
// keep mosh's precedence over ours inside one Instruction.
func TestExtensionsParsedOnOneSideOnly(t *testing.T) {
	offer := field(fieldExtensionOffer, varintField(fieldOfferFeatures, FeatureExitStatus))
	exit := field(fieldExitStatus, varintField(fieldExitCode, 4))
	keys := field(2, field(4, []byte("k")))

	user, err := ParseUserMessage(cat(field(1, offer), field(1, exit), field(1, cat(offer, keys))))
	if err != nil || len(user) != 2 || user[0].Kind != UserExtensionOffer || user[0].Features != FeatureExitStatus ||
		user[1].Kind != UserKeystroke || string(user[1].Keys) != "k" {
		t.Errorf("ParseUserMessage = %+v, %v", user, err)
	}
	host, err := ParseHostMessage(cat(field(1, exit), field(1, offer), field(1, cat(exit, field(2, field(4, []byte("$")))))))
	if err != nil || len(host) != 2 || host[0].Kind != HostExitStatus || host[0].Exit != (ExitStatus{Code: 4}) ||
		host[1].Kind != HostBytes || string(host[1].Bytes) != "$" {
		t.Errorf("ParseHostMessage = %+v, %v", host, err)
	}
}

// A detach is read on the server's side only, after mosh's own kinds and
// the offer inside one Instruction; fields a later Detach may carry are
// skipped, a malformed one is refused.
func TestDetachDecoding(t *testing.T) {
	detach := field(fieldDetach, nil)
	keys := field(2, field(4, []byte("k")))
	user, err := ParseUserMessage(cat(field(1, detach), field(1, cat(detach, keys)), field(1, field(fieldDetach, varintField(7, 1)))))
	if err != nil || len(user) != 3 || user[0].Kind != UserDetach || user[1].Kind != UserKeystroke || user[2].Kind != UserDetach {
		t.Errorf("ParseUserMessage = %+v, %v", user, err)
	}
	if host, err := ParseHostMessage(field(1, detach)); err != nil || len(host) != 0 {
		t.Errorf("a host message's detach: %+v, %v", host, err)
	}
	if _, err := ParseUserMessage(field(1, field(fieldDetach, []byte{0x08}))); err == nil {
		t.Error("malformed detach accepted")
	}
}

func TestExitStatusDecoding(t *testing.T) {
	for _, c := range []struct {
		name  string
		inner []byte
		want  ExitStatus
		err   bool
	}{
		{"empty is exit 0", nil, ExitStatus{}, false},
		{"code", varintField(fieldExitCode, 255), ExitStatus{Code: 255}, false},
		{"signal wins", cat(varintField(fieldExitCode, 1), varintField(fieldExitSignal, 9)), ExitStatus{Signal: 9}, false},
		{"last code wins", cat(varintField(fieldExitCode, 1), varintField(fieldExitCode, 2)), ExitStatus{Code: 2}, false},
		{"unknown inner field skipped", cat(varintField(7, 1), varintField(fieldExitCode, 5)), ExitStatus{Code: 5}, false},
		{"code above 255", varintField(fieldExitCode, 256), ExitStatus{}, true},
		{"signal above 127", varintField(fieldExitSignal, 128), ExitStatus{}, true},
		{"truncated", varintField(fieldExitCode, 300)[:2], ExitStatus{}, true},
	} {
		ins, err := ParseHostMessage(field(1, field(fieldExitStatus, c.inner)))
		if c.err {
			if err == nil {
				t.Errorf("%s: accepted as %+v", c.name, ins)
			}
			continue
		}
		if err != nil || len(ins) != 1 || ins[0].Exit != c.want {
			t.Errorf("%s: got %+v, %v; want %+v", c.name, ins, err, c.want)
		}
	}
	if _, err := ParseHostMessage(field(1, field(fieldExitStatus, varintField(fieldExitSignal, 200)))); !errors.Is(err, errBadExitStatus) {
		t.Errorf("signal 200: %v, want errBadExitStatus", err)
	}
}

// Offers are sets: repeated feature fields add up, unknown bits survive
// (a newer client's offer reaches an older server intact).
func TestOfferDecoding(t *testing.T) {
	ins, err := ParseUserMessage(field(1, field(fieldExtensionOffer, cat(varintField(fieldOfferFeatures, 1), varintField(fieldOfferFeatures, 1<<40)))))
	if err != nil || len(ins) != 1 || ins[0].Features != 1|1<<40 {
		t.Errorf("got %+v, %v", ins, err)
	}
	if _, err := ParseUserMessage(field(1, field(fieldExtensionOffer, []byte{0x08}))); err == nil {
		t.Error("truncated offer accepted")
	}
}

func TestExtensionRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		features := rapid.Uint64().Draw(t, "features")
		exit := ExitStatus{Code: rapid.Uint8().Draw(t, "code")}
		if rapid.Bool().Draw(t, "signalled") {
			exit = ExitStatus{Signal: rapid.Uint8Range(1, maxSignal).Draw(t, "signal")}
		}
		u, err := ParseUserMessage(AppendUserMessage(nil, []UserInstruction{{Kind: UserExtensionOffer, Features: features}}))
		if err != nil || len(u) != 1 || u[0].Kind != UserExtensionOffer || u[0].Features != features {
			t.Fatalf("offer %#x: %+v, %v", features, u, err)
		}
		h, err := ParseHostMessage(AppendHostMessage(nil, []HostInstruction{{Kind: HostExitStatus, Exit: exit}}))
		if err != nil || len(h) != 1 || h[0].Kind != HostExitStatus || h[0].Exit != exit {
			t.Fatalf("exit %+v: %+v, %v", exit, h, err)
		}
	})
}

// FuzzParseExitStatus decodes ExitStatus messages: whatever is accepted is
// in range and encodes back to a message that decodes to the same status.
func FuzzParseExitStatus(f *testing.F) {
	f.Add([]byte{})
	f.Add(varintField(fieldExitCode, 3))
	f.Add(varintField(fieldExitSignal, 15))
	f.Add(cat(varintField(fieldExitCode, 1), varintField(fieldExitSignal, 9)))
	f.Add(varintField(fieldExitCode, 256))
	f.Add([]byte{0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseExitStatus(b)
		if err != nil {
			return
		}
		if e.Signal > maxSignal {
			t.Fatalf("accepted %+v", e)
		}
		again, err := ParseHostMessage(AppendHostMessage(nil, []HostInstruction{{Kind: HostExitStatus, Exit: e}}))
		if err != nil || len(again) != 1 || again[0].Exit != e {
			t.Fatalf("round trip of %+v: %+v, %v", e, again, err)
		}
	})
}

// FuzzParseOffer decodes ExtensionOffer messages with the same round trip.
func FuzzParseOffer(f *testing.F) {
	f.Add([]byte{})
	f.Add(varintField(fieldOfferFeatures, FeatureExitStatus))
	f.Add(cat(varintField(fieldOfferFeatures, 2), varintField(fieldOfferFeatures, 1<<63)))
	f.Add(field(fieldOfferFeatures, []byte("x")))
	f.Add([]byte{0x08})
	f.Fuzz(func(t *testing.T, b []byte) {
		features, err := parseOffer(b)
		if err != nil {
			return
		}
		again, err := ParseUserMessage(AppendUserMessage(nil, []UserInstruction{{Kind: UserExtensionOffer, Features: features}}))
		if err != nil || len(again) != 1 || again[0].Features != features {
			t.Fatalf("round trip of %#x: %+v, %v", features, again, err)
		}
	})
}
