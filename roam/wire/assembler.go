package wire

import (
	"bytes"
	"errors"
	"fmt"
)

// Errors from Assembler.Add for fragments a real mosh peer would abort on
// (docs/PROTOCOL.md, Robustness traps, 4). The assembly is reset after each of them.
var (
	ErrFragmentConflict = errors.New("wire: fragment repeated with different contents")
	ErrFragmentBeyond   = errors.New("wire: fragment numbered beyond the final one")
	ErrFinalTooLow      = errors.New("wire: final fragment numbered below a fragment already seen")
)

// slot is one received fragment: its data lives in Assembler.arena.
type slot struct {
	off, n int
	ok     bool
	final  bool
}

// Assembler rebuilds instructions from fragments like mosh's
// FragmentAssembly: it holds one instruction under assembly, and a fragment
// with another id discards what was collected. A repeat of an id that was
// already completed is assembled again (the transport then ignores the
// duplicate state). The zero value is ready to use. Not safe for concurrent
// use.
//
// Memory is bounded: at most MaxFragments slots and maxCompressed bytes of
// fragment data are held, and the decompressed instruction is capped at
// MaxDecompressed.
type Assembler struct {
	have    bool // whether id names the current (or last completed) assembly
	id      uint64
	slots   []slot
	arrived int
	total   int // -1 until the final fragment is seen
	arena   []byte

	dec decompressor
}

// reset forgets the fragments collected, keeping id (like mosh, whose
// current_id survives a completed assembly) and the buffers.
func (a *Assembler) reset() {
	a.slots = a.slots[:0]
	a.arrived = 0
	a.total = -1
	a.arena = a.arena[:0]
}

// fail resets the assembly and returns err wrapped with the id.
func (a *Assembler) fail(err error) (*Instruction, error) {
	id := a.id
	a.reset()
	a.have = false
	return nil, fmt.Errorf("wire: instruction %d: %w", id, err)
}

// Add takes one fragment; f.Data is copied, so the caller may reuse it. It
// returns (nil, nil) while the instruction is incomplete and the decoded
// Instruction once every fragment of its id has arrived. Inconsistent
// fragments, bad zlib, bad protobuf and oversized instructions are errors,
// after which the assembly starts afresh.
func (a *Assembler) Add(f Fragment) (*Instruction, error) {
	if f.Num > numberMask {
		return nil, fmt.Errorf("wire: fragment number %d does not fit 15 bits", f.Num)
	}
	num := int(f.Num)
	if !a.have || f.ID != a.id {
		a.reset()
		a.have = true
		a.id = f.ID
	}
	if a.total >= 0 && num >= a.total {
		return a.fail(ErrFragmentBeyond)
	}
	if num < len(a.slots) && a.slots[num].ok {
		s := a.slots[num]
		if s.final != f.Final || !bytes.Equal(a.arena[s.off:s.off+s.n], f.Data) {
			return a.fail(ErrFragmentConflict)
		}
	} else {
		if f.Final && num+1 < len(a.slots) {
			for _, s := range a.slots[num+1:] {
				if s.ok {
					return a.fail(ErrFinalTooLow)
				}
			}
		}
		if len(a.arena)+len(f.Data) > maxCompressed {
			return a.fail(ErrTooLarge)
		}
		for len(a.slots) <= num {
			a.slots = append(a.slots, slot{})
		}
		a.slots[num] = slot{off: len(a.arena), n: len(f.Data), ok: true, final: f.Final}
		a.arena = append(a.arena, f.Data...)
		a.arrived++
	}
	if f.Final {
		a.total = num + 1
		a.slots = a.slots[:a.total]
	}
	if a.arrived != a.total {
		return nil, nil
	}
	return a.assemble()
}

// assemble joins the complete fragments and decodes the instruction.
func (a *Assembler) assemble() (*Instruction, error) {
	// Fragments arrive out of order: lay them out in number order unless
	// they already are (the common case, in particular a single fragment).
	payload := a.arena
	inOrder := true
	for i, off := 0, 0; i < a.total; i++ {
		if a.slots[i].off != off {
			inOrder = false
			break
		}
		off += a.slots[i].n
	}
	if !inOrder {
		payload = make([]byte, 0, len(a.arena))
		for _, s := range a.slots[:a.total] {
			payload = append(payload, a.arena[s.off:s.off+s.n]...)
		}
	}
	raw, err := a.dec.decompress(payload)
	if err != nil {
		return a.fail(err)
	}
	in, err := UnmarshalInstruction(raw)
	if err != nil {
		return a.fail(err)
	}
	a.reset()
	return in, nil
}
