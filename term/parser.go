package term

// Bounds on what a sequence can make the parser store, from mosh's
// Dispatcher (terminaldispatcher.cc).
const (
	// maxParamBytes caps the raw parameter string ("enough for 16
	// five-char params plus 15 semicolons"); further digits and ';' are
	// dropped, so a long number is cut, not rejected.
	maxParamBytes = 100
	// maxParams is how many parameters maxParamBytes can describe.
	maxParams = maxParamBytes + 1
	// maxIntermediates caps collected intermediate and private-marker
	// characters, the final character included.
	maxIntermediates = 8
	// maxOSCRunes caps an OSC string (MAXIMUM_CLIPBOARD_SIZE, 16 KiB of
	// code points); the rest is dropped.
	maxOSCRunes = 16 * 1024
	// paramMax is the largest numeric parameter; larger ones count as
	// absent, so hostile values cannot cause long loops.
	paramMax = 65535
)

// Handler receives what the parser recognises. Slices and *Params passed to
// it are only valid during the call.
type Handler interface {
	// Print draws a graphic character (U+0020–U+007F or ≥ U+00A0).
	Print(r rune)
	// Execute performs a C0 or C1 control function.
	Execute(r rune)
	// EscDispatch ends an escape sequence. intermediates holds the
	// collected characters (at most 8); final is the final character.
	EscDispatch(intermediates []byte, final rune)
	// CSIDispatch ends a control sequence; intermediates holds private
	// markers and intermediates in arrival order.
	CSIDispatch(params *Params, intermediates []byte, final rune)
	// OSCDispatch ends an operating system command with its string (at
	// most 16 KiB code points). mosh ends an OSC whenever the parser
	// leaves the OSC state: at BEL, ST, ESC, CAN, SUB or any C1 control.
	OSCDispatch(data []rune)
}

// ASCIIPrinter is an optional Handler extension: the parser hands it runs
// of printable ASCII (0x20–0x7E) met in the ground state, instead of one
// Print call per character. The effect must equal those Print calls.
type ASCIIPrinter interface {
	PrintASCII(text []byte)
}

// Params are the numeric parameters of a control sequence, with the
// semantics of mosh's Dispatcher::getparam: a missing, empty, zero or
// out-of-range (> 65535) parameter yields the default.
type Params struct {
	raw    [maxParamBytes]byte
	n      int
	parsed bool
	count  int
	vals   [maxParams]int32 // -1 = absent
}

func (p *Params) reset() { p.n, p.parsed = 0, false }

func (p *Params) add(c byte) {
	if p.n < maxParamBytes {
		p.raw[p.n] = c
		p.n++
	}
	p.parsed = false
}

// parse splits the raw string at ';' as Dispatcher::parse_params does: an
// empty string is one absent parameter.
func (p *Params) parse() {
	if p.parsed {
		return
	}
	p.count = 0
	val, digits := int32(0), false
	for i := 0; i <= p.n; i++ {
		if i == p.n || p.raw[i] == ';' {
			if !digits || val > paramMax {
				val = -1
			}
			p.vals[p.count] = val
			p.count++
			val, digits = 0, false
			continue
		}
		digits = true
		if val <= paramMax { // saturate: anything past paramMax is absent
			val = val*10 + int32(p.raw[i]-'0')
		}
	}
	p.parsed = true
}

// Count returns the number of parameters: one more than the number of ';'.
func (p *Params) Count() int {
	p.parse()
	return p.count
}

// Get returns parameter i, or def when it is missing or < 1.
func (p *Params) Get(i, def int) int {
	p.parse()
	if i < p.count && p.vals[i] >= 1 {
		return int(p.vals[i])
	}
	return def
}

// String returns the raw parameter string as received (possibly cut).
func (p *Params) String() string { return string(p.raw[:p.n]) }

// Parser is mosh's UTF8Parser and DEC/ANSI state machine: bytes are decoded
// as UTF-8, then each code point drives the state machine. It keeps its
// state between calls, so sequences may be split anywhere. The zero value
// is ready to use.
type Parser struct {
	utf8   utf8Decoder
	state  parserState
	params Params
	inter  [maxIntermediates]byte
	ninter int
	osc    []rune
}

// Parse feeds data to the parser, calling h for everything it completes.
func (p *Parser) Parse(data []byte, h Handler) {
	ap, _ := h.(ASCIIPrinter)
	p.parse(data, h, ap)
}

// parse is Parse with h's ASCIIPrinter (nil: none) given by the caller. The
// emulator passes its own: the dynamic check in Parse is a probe of the
// runtime's interface table, a few cache misses on each keystroke's write
// when the table is cold.
func (p *Parser) parse(data []byte, h Handler, ap ASCIIPrinter) {
	for i := 0; i < len(data); i++ {
		b := data[i]
		if p.utf8.have == 0 && b < 0x80 {
			if ap != nil && p.state == stateGround && b >= 0x20 && b < 0x7f {
				j := i + 1
				for j < len(data) && data[j] >= 0x20 && data[j] < 0x7f {
					j++
				}
				ap.PrintASCII(data[i:j])
				i = j - 1
				continue
			}
			p.input(rune(b), h)
			continue
		}
		r1, r2, n := p.utf8.decode(b)
		if n > 0 {
			p.input(r1, h)
		}
		if n > 1 {
			p.input(r2, h)
		}
	}
}

// input runs one code point through the state machine (Parser::input).
func (p *Parser) input(r rune, h Handler) {
	key := r
	if key >= transitionKey {
		key = 'A'
	}
	t := transitions[int(p.state)*transitionKey+int(key)]
	next := t.next()
	if next != stateNone && p.state == stateOSCString {
		h.OSCDispatch(p.osc) // the OSC state's exit action
	}
	switch t.action() {
	case actionNone:
	case actionPrint:
		h.Print(r)
	case actionExecute:
		h.Execute(r)
	case actionCollect:
		p.collect(r)
	case actionParam:
		p.params.add(byte(r))
	case actionEscDispatch:
		h.EscDispatch(p.inter[:p.ninter], r)
	case actionCSIDispatch:
		h.CSIDispatch(&p.params, p.inter[:p.ninter], r)
	case actionOSCPut:
		if len(p.osc) < maxOSCRunes {
			p.osc = append(p.osc, r)
		}
	}
	if next == stateNone {
		return
	}
	p.state = next
	switch next { // entry actions
	case stateEscape, stateCSIEntry, stateDCSEntry:
		p.params.reset()
		p.ninter = 0
	case stateOSCString:
		p.osc = p.osc[:0]
	}
}

// collect stores an intermediate character; mosh keeps at most 8 and only
// 8-bit ones (Dispatcher::collect).
func (p *Parser) collect(r rune) {
	if p.ninter < maxIntermediates && r <= 0xff {
		p.inter[p.ninter] = byte(r)
		p.ninter++
	}
}
