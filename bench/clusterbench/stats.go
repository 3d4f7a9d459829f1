package main

import (
	"math"
	"slices"
)

// spread is the baseline's summary of a set of runs: the median, and the
// minimum and maximum to show how far single runs stray from it. Medians,
// not means: a run disturbed by something else on the machine moves a
// mean but hardly a median.
type spread struct {
	median, min, max float64
	n                int
}

func spreadOf(v []float64) spread {
	if len(v) == 0 {
		return spread{median: math.NaN(), min: math.NaN(), max: math.NaN()}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{median: m, min: s[0], max: s[len(s)-1], n: len(s)}
}

func (s spread) ok() bool { return s.n > 0 }
