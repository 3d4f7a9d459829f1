package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftkv/raftkv/sim"
	"github.com/raftkv/raftkv/ui"
)

// memberFlags are the flags -mode member uses.
type memberFlags struct {
	fs         *flag.FlagSet
	seed       uint64
	seeds      int
	start      uint64
	faults     sim.FaultSet
	faultsFlag string
	nodes      int
	duration   time.Duration
	verbose    int
	trace      string
	window     string
	regression string
	auth       bool
}

// runMember is raftsim -mode member: real members (package server) with
// clients, instead of raft nodes.
func runMember(f memberFlags, stdout, stderr io.Writer) int {
	if f.regression != "" {
		if f.auth {
			fmt.Fprintln(stderr, "raftsim: a regression script stages its own run: -auth does not apply")
			return 2
		}
		return runRegression(f, stdout, stderr)
	}
	if f.nodes != 0 && (f.nodes < 3 || f.nodes > 7) {
		fmt.Fprintln(stderr, "raftsim: -mode member needs -nodes between 3 and 7 (members are replaced one at a time, which takes a quorum of the others)")
		return 2
	}
	var winStart, winEnd sim.Time
	if f.window != "" {
		a, b, ok := strings.Cut(f.window, ",")
		x, err1 := strconv.ParseFloat(a, 64)
		y, err2 := strconv.ParseFloat(b, 64)
		if !ok || err1 != nil || err2 != nil || x < 0 || y <= x {
			fmt.Fprintf(stderr, "raftsim: -window wants start,end in seconds (like 4.5,6), not %q\n", f.window)
			return 2
		}
		winStart, winEnd = sim.Time(x*float64(sim.Second)), sim.Time(y*float64(sim.Second))
	}
	configure := func(seed uint64, trace int) sim.MemberConfig {
		cfg := sim.DefaultMemberConfig(seed)
		cfg.Faults = f.faults
		cfg.Duration = sim.Time(f.duration.Microseconds())
		cfg.Trace = trace
		cfg.Auth = f.auth
		if f.nodes != 0 {
			cfg.Members = f.nodes
		}
		return cfg
	}
	replay := func(seed uint64) string {
		parts := []string{"go run ./cmd/raftsim -mode member", fmt.Sprintf("-seed %d", seed), "-faults " + f.faultsFlag}
		f.fs.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "seed", "seeds", "start", "faults", "v", "mode", "trace", "window":
			default:
				if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
					// "-auth true" would end the flags at "true".
					parts = append(parts, fmt.Sprintf("-%s=%s", fl.Name, fl.Value))
				} else {
					parts = append(parts, fmt.Sprintf("-%s %s", fl.Name, fl.Value))
				}
			}
		})
		return strings.Join(parts, " ")
	}

	switch {
	case f.seeds > 0:
		if f.trace != "" {
			fmt.Fprintln(stderr, "raftsim: -trace draws one run: use it with -seed")
			return 2
		}
		begin := time.Now()
		results := runSeeds(f.start, f.seeds, func(seed uint64) sim.MemberResult { return sim.RunMember(configure(seed, 0)) })
		wall := time.Since(begin)
		passed, failed, checked := 0, 0, 0
		var linMicros int64
		var total sim.MemberStats
		for _, res := range results {
			checked += res.Stats.CheckedOps
			linMicros += res.Stats.LinearizabilityMicros
			addAuthStats(&total, res.Stats)
			if res.Passed() {
				passed++
				continue
			}
			failed++
			fmt.Fprintf(stdout, "seed %d FAILED at %s: %s\n  replay: %s\n", res.Seed, res.At, res.Violation, replay(res.Seed))
		}
		simulated := time.Duration(f.seeds) * f.duration
		fmt.Fprintf(stdout, "%d seeds, %s simulated in %s on %d cores (%.0f simulated seconds per wall second); porcupine checked %d operations\n",
			f.seeds, simulated, wall.Round(time.Millisecond), runtime.GOMAXPROCS(0), simulated.Seconds()/wall.Seconds(), checked)
		if f.auth {
			printAuthStats(stdout, total)
		}
		fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
		if failed > 0 {
			return 1
		}
		return 0
	case f.seed > 0:
		cfg := configure(f.seed, f.verbose)
		if f.trace != "" {
			cfg.Timeline, cfg.WindowStart, cfg.WindowEnd = true, winStart, winEnd
		}
		res := sim.RunMember(cfg)
		for _, line := range res.Trace {
			fmt.Fprintln(stdout, line)
		}
		st := res.Stats
		fmt.Fprintf(stdout, "seed %d: %d members, %d elections (max term %d), %d client operations (%d ok, %d failed, %d unknown), %d revisions\n",
			f.seed, cfg.Members, st.Elections, st.MaxTerm, st.Ops, st.OpsOK, st.OpsFailed, st.OpsUnknown, st.Revs)
		fmt.Fprintf(stdout, "faults: %d crashes (%d mid-write), %d bit flips, %d member replacements, %d moves, %d pauses, %d slow disks, %d snapshots sent, %d messages (%d lost)\n",
			st.Crashes, st.TornCrashes, st.Corruptions, st.Replacements, st.Moves, st.Pauses, st.SlowDisks, st.SnapshotsSent, st.Messages, st.Dropped)
		fmt.Fprintf(stdout, "checked: %d operations by porcupine (%s), %d range scans, %d watch revisions, %d expired leases\n",
			st.CheckedOps, res.Linearizability, st.CheckedRanges, st.CheckedWatchRevs, st.LeasesExpired)
		if f.auth {
			printAuthStats(stdout, st)
		}
		code := 0
		if !res.Passed() {
			fmt.Fprintf(stdout, "FAILED at %s: %s\nreplay: %s\n", res.At, res.Violation, replay(f.seed))
			code = 1
		} else {
			fmt.Fprintln(stdout, "PASSED: every check held, and the cluster made progress after the faults healed")
		}
		if f.trace != "" {
			if err := writeTrace(f.trace, res, stdout); err != nil {
				fmt.Fprintf(stderr, "raftsim: %v\n", err)
				return 1
			}
		}
		return code
	}
	f.fs.Usage()
	return 2
}

// writeTrace writes the HTML timeline, and porcupine's view of a history
// that is not linearizable beside it.
func writeTrace(path string, res sim.MemberResult, stdout io.Writer) error {
	if err := os.WriteFile(path, ui.TimelinePage(res.Page), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	if res.Porcupine != nil {
		p := strings.TrimSuffix(path, ".html") + ".porcupine.html"
		if err := res.Porcupine.Visualize(p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (porcupine's view of the history that is not linearizable)\n", p)
	}
	return nil
}

// runSeeds runs seeds start..start+n-1 on every core and returns the
// results in seed order. Each run is a pure function of its seed, so
// running them side by side changes nothing but the wall time.
func runSeeds(start uint64, n int, run func(uint64) sim.MemberResult) []sim.MemberResult {
	results := make([]sim.MemberResult, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = run(start + uint64(i))
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// addAuthStats adds what a run counted of authentication to total.
func addAuthStats(total *sim.MemberStats, st sim.MemberStats) {
	total.OutcomesCompared += st.OutcomesCompared
	total.RefusalsCompared += st.RefusalsCompared
	a, b := &total.Auth, st.Auth
	a.Allowed += b.Allowed
	a.Denied += b.Denied
	a.Stale += b.Stale
	a.RevokedInFlight += b.RevokedInFlight
	a.Retries += b.Retries
	a.Changes += b.Changes
}

// printAuthStats says what authentication did: how many writes the check
// at apply let through or refused, and why; and how many decisions were
// compared across members.
func printAuthStats(w io.Writer, st sim.MemberStats) {
	a := st.Auth
	fmt.Fprintf(w, "auth: %d writes allowed, %d denied, %d refused at apply because the auth state moved in flight (%d of them a permission revoked in flight), %d requests retried with a fresh revision; %d changes by the revoker\n",
		a.Allowed, a.Denied, a.Stale, a.RevokedInFlight, a.Retries, a.Changes)
	fmt.Fprintf(w, "auth: %d outcomes of applying a write compared across members (%d of them refusals)\n", st.OutcomesCompared, st.RefusalsCompared)
}
