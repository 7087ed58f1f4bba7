package main

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestRatioInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a, b, twice []time.Duration
	for range 300 {
		d := time.Duration(500+rng.IntN(1000)) * time.Microsecond
		a = append(a, d)
		twice = append(twice, 2*d)
		b = append(b, time.Duration(500+rng.IntN(1000))*time.Microsecond)
	}
	if lo, hi := ratioInterval(a, a); lo != 1 || hi != 1 {
		t.Errorf("a against itself: %v-%v, want 1-1", lo, hi)
	}
	// Pairs resampled together keep an exact ratio exact.
	if lo, hi := ratioInterval(twice, a); lo != 2 || hi != 2 {
		t.Errorf("2a against a: %v-%v, want 2-2", lo, hi)
	}
	// Two draws from one distribution: the interval holds 1 and the
	// ratio of the medians, and is not a point.
	r := float64(quantile(a, 0.5)) / float64(quantile(b, 0.5))
	lo, hi := ratioInterval(a, b)
	if !(lo < hi) || lo > 1 || hi < 1 || lo > r || hi < r {
		t.Errorf("independent draws: interval %v-%v, ratio %v", lo, hi, r)
	}
	if lo, hi := ratioInterval(nil, b); lo != 0 || hi != 0 {
		t.Errorf("no keys: %v-%v", lo, hi)
	}
}
