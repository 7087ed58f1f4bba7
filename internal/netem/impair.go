package netem

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Config is the impairment applied to each direction independently.
type Config struct {
	// Delay is the one-way latency; Jitter spreads it uniformly over
	// [Delay−Jitter, Delay+Jitter] (never below zero).
	Delay, Jitter time.Duration
	// Loss, Duplicate and Reorder are probabilities in 0..1. A duplicated
	// datagram is delivered twice, each copy with its own delay. A reordered
	// datagram skips the delay (as Linux netem's reorder does), so it
	// overtakes those queued before it; with Delay 0 it is instead held back
	// by reorderHold, letting later datagrams pass it.
	Loss, Duplicate, Reorder float64
	// Seed makes the decisions reproducible.
	Seed int64
}

// reorderHold is how long a reordered datagram waits when there is no delay
// to skip.
const reorderHold = time.Millisecond

// Validate reports a configuration that makes no sense.
func (c Config) Validate() error {
	if c.Delay < 0 || c.Jitter < 0 {
		return fmt.Errorf("negative delay %v or jitter %v", c.Delay, c.Jitter)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", c.Loss}, {"duplicate", c.Duplicate}, {"reorder", c.Reorder}} {
		if !(p.v >= 0 && p.v <= 1) { // also rejects NaN
			return fmt.Errorf("%s probability %v outside 0..1", p.name, p.v)
		}
	}
	return nil
}

// clamped returns c with durations at least 0 and probabilities in 0..1
// (NaN counts as 0).
func (c Config) clamped() Config {
	c.Delay, c.Jitter = max(c.Delay, 0), max(c.Jitter, 0)
	for _, p := range []*float64{&c.Loss, &c.Duplicate, &c.Reorder} {
		switch {
		case *p > 1:
			*p = 1
		case !(*p >= 0):
			*p = 0
		}
	}
	return c
}

// Verdict is the fate of one datagram.
type Verdict struct {
	// Copies is 0 (lost), 1, or 2 (duplicated).
	Copies int
	// Delays holds the delay of each copy; only the first Copies are used.
	Delays [2]time.Duration
}

// Impairer decides the fate of each datagram in one direction. It draws the
// same number of random values for every datagram whatever the outcome, so
// decision k depends only on the seed and k, even if the configuration
// changes in between. Not safe for concurrent use.
type Impairer struct {
	cfg Config
	rng *rand.Rand
}

// NewImpairer returns an Impairer for c; stream separates the random
// sequences of several impairers sharing one seed (e.g. the two directions).
func NewImpairer(c Config, stream uint64) *Impairer {
	return &Impairer{cfg: c, rng: rand.New(rand.NewPCG(uint64(c.Seed), stream))}
}

// SetConfig changes the impairment from the next datagram on. The random
// sequence continues unless the seed changes.
func (im *Impairer) SetConfig(c Config, stream uint64) {
	if c.Seed != im.cfg.Seed {
		im.rng = rand.New(rand.NewPCG(uint64(c.Seed), stream))
	}
	im.cfg = c
}

// Decide draws the verdict for the next datagram.
func (im *Impairer) Decide() Verdict {
	c := im.cfg
	uLoss, uDup, uReorder := im.rng.Float64(), im.rng.Float64(), im.rng.Float64()
	j := [2]float64{im.rng.Float64(), im.rng.Float64()}
	if uLoss < c.Loss {
		return Verdict{}
	}
	v := Verdict{Copies: 1}
	if uDup < c.Duplicate {
		v.Copies = 2
	}
	for i := range v.Copies {
		d := c.Delay + time.Duration((2*j[i]-1)*float64(c.Jitter))
		if uReorder < c.Reorder && i == 0 {
			if c.Delay > 0 {
				d = 0
			} else {
				d += reorderHold
			}
		}
		v.Delays[i] = max(d, 0)
	}
	return v
}
