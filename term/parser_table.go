package term

// parserState is a state of the DEC/ANSI parser (mosh's parserstate.h).
type parserState uint8

const (
	stateGround parserState = iota
	stateEscape
	stateEscapeIntermediate
	stateCSIEntry
	stateCSIParam
	stateCSIIntermediate
	stateCSIIgnore
	stateDCSEntry
	stateDCSParam
	stateDCSIntermediate
	stateDCSPassthrough
	stateDCSIgnore
	stateOSCString
	stateSOSPMAPCString
	numParserStates

	// stateNone in a transition means "stay, and run no exit or entry
	// action". A transition to the current state does run them, as in
	// mosh (ESC ESC clears twice, a C1 OSC inside an OSC restarts it).
	stateNone parserState = 15
)

// parserAction is what a transition does with the character.
type parserAction uint8

const (
	actionNone        parserAction = iota
	actionPrint                    // draw a graphic character
	actionExecute                  // C0 or C1 control function
	actionCollect                  // intermediate or private-marker character
	actionParam                    // digit or ';' of a parameter string
	actionEscDispatch              // final character of an escape sequence
	actionCSIDispatch              // final character of a control sequence
	actionOSCPut                   // character of an OSC string
)

// transitionKey is the number of distinct inputs the table covers: every
// code point below U+00A0. Code points from U+00A0 up behave like 'A' in
// every state (mosh: "Parse high Unicode codepoints like 'A'"), and the
// action then receives the real character.
const transitionKey = 0xA0

// transition packs an action (high nibble) and a next state (low nibble).
type transition uint8

func (t transition) action() parserAction { return parserAction(t >> 4) }
func (t transition) next() parserState    { return parserState(t & 0x0f) }

// transitionTable is indexed by state*transitionKey + character.
type transitionTable [int(numParserStates) * transitionKey]transition

// transitions is built once at package initialisation and only read after.
var transitions = buildTransitionTable()

type tableBuilder struct{ t *transitionTable }

func (b tableBuilder) set(s parserState, lo, hi rune, a parserAction, next parserState) {
	for c := lo; c <= hi; c++ {
		b.t[int(s)*transitionKey+int(c)] = transition(uint8(a)<<4 | uint8(next))
	}
}

func (b tableBuilder) one(s parserState, c rune, a parserAction, next parserState) {
	b.set(s, c, c, a, next)
}

// c0Prime marks the C0 controls a state executes: all but CAN, SUB and ESC,
// which the "anywhere" rules own.
func (b tableBuilder) c0Prime(s parserState, a parserAction) {
	b.set(s, 0x00, 0x17, a, stateNone)
	b.one(s, 0x19, a, stateNone)
	b.set(s, 0x1c, 0x1f, a, stateNone)
}

// buildTransitionTable writes down mosh's parserstate.cc, which follows
// the vt100.net DEC parser with these deviations:
//   - input is Unicode code points, not bytes: U+0080–U+009F are the C1
//     controls, and U+00A0 and above are graphic characters in every state
//     (handled by mapping them to 'A' before the lookup);
//   - GL and GR are printed in ground, including DEL (0x7F), which then has
//     no width and is dropped by the emulator;
//   - a colon in CSI or DCS parameters ignores the whole sequence;
//   - OSC strings end at BEL as well as at ST; C0 controls inside them are
//     ignored, DEL is part of the string;
//   - DCS entry/param/intermediate states ignore C0 controls, DCS
//     passthrough passes them through (mosh does nothing with DCS data);
//   - there is no action for DCS hook/put/unhook: mosh discards DCS.
func buildTransitionTable() *transitionTable {
	t := new(transitionTable)
	b := tableBuilder{t}
	for s := range numParserStates {
		b.set(s, 0, transitionKey-1, actionNone, stateNone)
	}

	b.c0Prime(stateGround, actionExecute)
	b.set(stateGround, 0x20, 0x7f, actionPrint, stateNone)

	b.c0Prime(stateEscape, actionExecute)
	b.set(stateEscape, 0x20, 0x2f, actionCollect, stateEscapeIntermediate)
	b.set(stateEscape, 0x30, 0x4f, actionEscDispatch, stateGround)
	b.set(stateEscape, 0x51, 0x57, actionEscDispatch, stateGround)
	b.one(stateEscape, 0x59, actionEscDispatch, stateGround)
	b.one(stateEscape, 0x5a, actionEscDispatch, stateGround)
	b.one(stateEscape, 0x5c, actionEscDispatch, stateGround)
	b.set(stateEscape, 0x60, 0x7e, actionEscDispatch, stateGround)
	b.one(stateEscape, 0x5b, actionNone, stateCSIEntry)
	b.one(stateEscape, 0x5d, actionNone, stateOSCString)
	b.one(stateEscape, 0x50, actionNone, stateDCSEntry)
	b.one(stateEscape, 0x58, actionNone, stateSOSPMAPCString)
	b.one(stateEscape, 0x5e, actionNone, stateSOSPMAPCString)
	b.one(stateEscape, 0x5f, actionNone, stateSOSPMAPCString)

	b.c0Prime(stateEscapeIntermediate, actionExecute)
	b.set(stateEscapeIntermediate, 0x20, 0x2f, actionCollect, stateNone)
	b.set(stateEscapeIntermediate, 0x30, 0x7e, actionEscDispatch, stateGround)

	b.c0Prime(stateCSIEntry, actionExecute)
	b.set(stateCSIEntry, 0x40, 0x7e, actionCSIDispatch, stateGround)
	b.set(stateCSIEntry, 0x30, 0x39, actionParam, stateCSIParam)
	b.one(stateCSIEntry, 0x3b, actionParam, stateCSIParam)
	b.set(stateCSIEntry, 0x3c, 0x3f, actionCollect, stateCSIParam)
	b.one(stateCSIEntry, 0x3a, actionNone, stateCSIIgnore)
	b.set(stateCSIEntry, 0x20, 0x2f, actionCollect, stateCSIIntermediate)

	b.c0Prime(stateCSIParam, actionExecute)
	b.set(stateCSIParam, 0x30, 0x39, actionParam, stateNone)
	b.one(stateCSIParam, 0x3b, actionParam, stateNone)
	b.one(stateCSIParam, 0x3a, actionNone, stateCSIIgnore)
	b.set(stateCSIParam, 0x3c, 0x3f, actionNone, stateCSIIgnore)
	b.set(stateCSIParam, 0x20, 0x2f, actionCollect, stateCSIIntermediate)
	b.set(stateCSIParam, 0x40, 0x7e, actionCSIDispatch, stateGround)

	b.c0Prime(stateCSIIntermediate, actionExecute)
	b.set(stateCSIIntermediate, 0x20, 0x2f, actionCollect, stateNone)
	b.set(stateCSIIntermediate, 0x40, 0x7e, actionCSIDispatch, stateGround)
	b.set(stateCSIIntermediate, 0x30, 0x3f, actionNone, stateCSIIgnore)

	b.c0Prime(stateCSIIgnore, actionExecute)
	b.set(stateCSIIgnore, 0x40, 0x7e, actionNone, stateGround)

	b.set(stateDCSEntry, 0x20, 0x2f, actionCollect, stateDCSIntermediate)
	b.one(stateDCSEntry, 0x3a, actionNone, stateDCSIgnore)
	b.set(stateDCSEntry, 0x30, 0x39, actionParam, stateDCSParam)
	b.one(stateDCSEntry, 0x3b, actionParam, stateDCSParam)
	b.set(stateDCSEntry, 0x3c, 0x3f, actionCollect, stateDCSParam)
	b.set(stateDCSEntry, 0x40, 0x7e, actionNone, stateDCSPassthrough)

	b.set(stateDCSParam, 0x30, 0x39, actionParam, stateNone)
	b.one(stateDCSParam, 0x3b, actionParam, stateNone)
	b.one(stateDCSParam, 0x3a, actionNone, stateDCSIgnore)
	b.set(stateDCSParam, 0x3c, 0x3f, actionNone, stateDCSIgnore)
	b.set(stateDCSParam, 0x20, 0x2f, actionCollect, stateDCSIntermediate)
	b.set(stateDCSParam, 0x40, 0x7e, actionNone, stateDCSPassthrough)

	b.set(stateDCSIntermediate, 0x20, 0x2f, actionCollect, stateNone)
	b.set(stateDCSIntermediate, 0x40, 0x7e, actionNone, stateDCSPassthrough)
	b.set(stateDCSIntermediate, 0x30, 0x3f, actionNone, stateDCSIgnore)

	// DCS passthrough: data (C0 and GL) is dropped, ST ends it (below).

	b.set(stateOSCString, 0x20, 0x7f, actionOSCPut, stateNone)
	b.one(stateOSCString, 0x07, actionNone, stateGround)

	// Rules that apply in every state, overriding the above
	// (State::anywhere_rule).
	for s := range numParserStates {
		b.one(s, 0x18, actionExecute, stateGround)
		b.one(s, 0x1a, actionExecute, stateGround)
		b.set(s, 0x80, 0x8f, actionExecute, stateGround)
		b.set(s, 0x91, 0x97, actionExecute, stateGround)
		b.one(s, 0x99, actionExecute, stateGround)
		b.one(s, 0x9a, actionExecute, stateGround)
		b.one(s, 0x9c, actionNone, stateGround)
		b.one(s, 0x1b, actionNone, stateEscape)
		b.one(s, 0x98, actionNone, stateSOSPMAPCString)
		b.one(s, 0x9e, actionNone, stateSOSPMAPCString)
		b.one(s, 0x9f, actionNone, stateSOSPMAPCString)
		b.one(s, 0x90, actionNone, stateDCSEntry)
		b.one(s, 0x9d, actionNone, stateOSCString)
		b.one(s, 0x9b, actionNone, stateCSIEntry)
	}
	return t
}
