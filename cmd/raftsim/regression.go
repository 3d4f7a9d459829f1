package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/raftkv/raftkv/sim"
)

// runRegression is raftsim -mode member -regression: the scripted runs
// named after the bugs they keep fixed (sim.Regressions). With one name and
// one seed it prints the run's trace, the script's steps among the events;
// with -seeds, or "all", it runs each script with each seed and prints a
// summary. The script builds its story whatever the seed: the seed only
// varies the load around it.
func runRegression(f memberFlags, stdout, stderr io.Writer) int {
	if f.regression == "list" {
		for _, r := range sim.Regressions {
			fmt.Fprintf(stdout, "%s\n    %s\n    found by %s; fixed in %s\n", r.Name, r.Bug, r.Found, r.Fix)
		}
		return 0
	}
	var conflict []string
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "faults", "nodes", "duration", "start":
			conflict = append(conflict, "-"+fl.Name)
		}
	})
	if len(conflict) > 0 {
		fmt.Fprintf(stderr, "raftsim: a regression script sets its own faults, cluster size and duration: drop %s\n", strings.Join(conflict, ", "))
		return 2
	}
	regs := sim.Regressions
	if f.regression != "all" {
		r, err := sim.FindRegression(f.regression)
		if err != nil {
			fmt.Fprintf(stderr, "raftsim: %v (raftsim -mode member -regression list lists them)\n", err)
			return 2
		}
		regs = []sim.Regression{r}
	}
	seeds := []uint64{max(f.seed, 1)}
	if f.seeds > 0 {
		seeds = seeds[:0]
		for s := uint64(1); s <= uint64(f.seeds); s++ {
			seeds = append(seeds, s)
		}
	}
	replay := func(name string, seed uint64) string {
		return fmt.Sprintf("go run ./cmd/raftsim -mode member -regression %s -seed %d -v 2", name, seed)
	}
	if len(regs) == 1 && len(seeds) == 1 {
		r, seed := regs[0], seeds[0]
		cfg := r.Config(seed)
		cfg.Trace = f.verbose
		if f.trace != "" {
			cfg.Timeline = true
		}
		res := sim.RunMember(cfg)
		for _, line := range res.Trace {
			fmt.Fprintln(stdout, line)
		}
		fmt.Fprintf(stdout, "regression %s, seed %d: %s\n", r.Name, seed, r.Bug)
		code := 0
		if res.Passed() {
			fmt.Fprintln(stdout, "PASSED: the script staged its story, and every check held")
		} else {
			fmt.Fprintf(stdout, "FAILED at %s: %s\nreplay: %s\n", res.At, res.Violation, replay(r.Name, seed))
			code = 1
		}
		if f.trace != "" {
			if err := writeTrace(f.trace, res, stdout); err != nil {
				fmt.Fprintf(stderr, "raftsim: %v\n", err)
				return 1
			}
		}
		return code
	}
	if f.trace != "" {
		fmt.Fprintln(stderr, "raftsim: -trace draws one run: give one regression and one -seed")
		return 2
	}
	type job struct {
		r    sim.Regression
		seed uint64
	}
	var jobs []job
	for _, r := range regs {
		for _, s := range seeds {
			jobs = append(jobs, job{r, s})
		}
	}
	// runSeeds hands out indexes; each index is one script with one seed.
	results := runSeeds(0, len(jobs), func(i uint64) sim.MemberResult { return sim.RunMember(jobs[i].r.Config(jobs[i].seed)) })
	failed := 0
	for i, res := range results {
		if !res.Passed() {
			failed++
			fmt.Fprintf(stdout, "%s, seed %d, FAILED at %s: %s\n  replay: %s\n", jobs[i].r.Name, jobs[i].seed, res.At, res.Violation, replay(jobs[i].r.Name, jobs[i].seed))
		}
	}
	fmt.Fprintf(stdout, "%d regression scripts × %d seeds on %d cores: %d passed, %d failed\n", len(regs), len(seeds), runtime.GOMAXPROCS(0), len(jobs)-failed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
