package netem

import (
	"math"
	"testing"
	"time"
)

// within fails unless got is within k standard deviations of n·p.
func within(t *testing.T, what string, got, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(got)-mean) > 4*sd+1 {
		t.Errorf("%s: %d of %d, want about %.0f ± %.0f", what, got, n, mean, 4*sd)
	}
}

func TestImpairerRates(t *testing.T) {
	const n = 10000
	c := Config{Delay: 100 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.1, Duplicate: 0.05, Reorder: 0.02, Seed: 42}
	im := NewImpairer(c, 1)
	var lost, dup, early int
	for range n {
		v := im.Decide()
		switch v.Copies {
		case 0:
			lost++
			continue
		case 2:
			dup++
		}
		for i := range v.Copies {
			d := v.Delays[i]
			if d == 0 && i == 0 {
				early++
				continue
			}
			if d < c.Delay-c.Jitter || d > c.Delay+c.Jitter {
				t.Fatalf("delay %v outside %v ± %v", d, c.Delay, c.Jitter)
			}
		}
	}
	within(t, "lost", lost, n, c.Loss)
	within(t, "duplicated", dup, n-lost, c.Duplicate)
	within(t, "reordered", early, n-lost, c.Reorder)
}

func TestImpairerDeterministic(t *testing.T) {
	c := Config{Delay: 10 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.3, Duplicate: 0.3, Reorder: 0.3, Seed: 7}
	a, b := NewImpairer(c, 1), NewImpairer(c, 1)
	other := NewImpairer(Config{Loss: 0.3, Duplicate: 0.3, Reorder: 0.3, Delay: c.Delay, Jitter: c.Jitter, Seed: 8}, 1)
	differ := 0
	for i := range 1000 {
		va, vb, vo := a.Decide(), b.Decide(), other.Decide()
		if va != vb {
			t.Fatalf("datagram %d: %+v vs %+v with the same seed", i, va, vb)
		}
		if va != vo {
			differ++
		}
	}
	if differ < 100 {
		t.Fatalf("another seed changed only %d of 1000 verdicts", differ)
	}

	// Decision k depends only on the seed and k: a configuration change in
	// between does not shift the random sequence.
	a, b = NewImpairer(c, 1), NewImpairer(c, 1)
	for range 10 {
		a.Decide()
		b.Decide()
	}
	b.SetConfig(Config{Loss: 1, Seed: c.Seed}, 1)
	for range 10 {
		a.Decide()
		if v := b.Decide(); v.Copies != 0 {
			t.Fatalf("loss 1 delivered %+v", v)
		}
	}
	b.SetConfig(c, 1)
	for i := range 100 {
		if va, vb := a.Decide(), b.Decide(); va != vb {
			t.Fatalf("after the change back, datagram %d: %+v vs %+v", i, va, vb)
		}
	}
}

func TestImpairerReorderWithoutDelay(t *testing.T) {
	im := NewImpairer(Config{Reorder: 1}, 1)
	if v := im.Decide(); v.Copies != 1 || v.Delays[0] != reorderHold {
		t.Fatalf("got %+v", v)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{{Loss: -0.1}, {Loss: 1.1}, {Duplicate: math.NaN()}, {Reorder: 2}, {Delay: -1}, {Jitter: -1}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if err := (Config{Loss: 1, Duplicate: 0, Reorder: 0.5, Delay: time.Second}).Validate(); err != nil {
		t.Error(err)
	}
	if c := (Config{Loss: 2, Duplicate: math.NaN(), Delay: -1}).clamped(); c.Loss != 1 || c.Duplicate != 0 || c.Delay != 0 {
		t.Errorf("clamped %+v", c)
	}
}
