package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/raftkv/raftkv/sim"
	"github.com/raftkv/raftkv/ui"
)

const usage = `raftsim runs the deterministic Raft simulator.

  raftsim -seed 7                 run one seed and print what happened
  raftsim -seed 7 -v 2            ... with raft's own log lines
  raftsim -seed 7 -trace run.html ... and a timeline to replay in a browser
  raftsim -scenario list          the break-a-rule scenarios (most need -tags raftunsafe)
  raftsim -seeds 1000 -faults all run seeds 1..1000; the last line is "N passed, M failed"

  raftsim -mode member -seed 7 -trace run.html
                                  run real members (package server) instead of raft
                                  nodes, with clients, and draw the run as HTML
  raftsim -mode member -seeds 200 -faults all
  raftsim -mode member -auth -seeds 200 -faults all
                                  ... with users, roles, and permissions revoked
                                  while writes are in flight
  raftsim -mode member -regression list
                                  the scripted runs named after the bugs they keep
                                  fixed; -regression NAME runs one, "all" runs them all

Every run is a pure function of its seed and flags: a failing seed replays
exactly, on any machine.

Flags:
`

// runRaft runs one simulation; a test replaces it to see the configurations
// run asks for.
var runRaft = sim.RunRaft

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("raftsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	seed := fs.Uint64("seed", 0, "run this one seed and print its trace")
	seeds := fs.Int("seeds", 0, "run seeds 1..N (or -start..-start+N-1) and print a summary")
	start := fs.Uint64("start", 1, "first seed for -seeds")
	faults := fs.String("faults", "all", "faults to inject: all, none, or a list of "+sim.FaultNames())
	nodes := fs.Int("nodes", 0, "cluster size (default: 3 for odd seeds... 3 or 5 by seed)")
	duration := fs.Duration("duration", 30*time.Second, "simulated time per run")
	verbose := fs.Int("v", 1, "trace detail for -seed: 0 summary only, 1 events, 2 also raft's log lines")
	noPreVote := fs.Bool("no-prevote", false, "switch PreVote off (for teaching)")
	noCheckQuorum := fs.Bool("no-checkquorum", false, "switch CheckQuorum off (for teaching)")
	tracePath := fs.String("trace", "", "with -seed: write the run as a self-contained HTML timeline to this file")
	scenario := fs.String("scenario", "", "run a break-a-rule scenario (\"list\" lists them): search seeds until the checker catches the violation")
	mode := fs.String("mode", "raft", "what to simulate: raft (raft nodes) or member (real members with clients)")
	window := fs.String("window", "", "member mode: the seconds start,end whose messages the HTML timeline draws as arrows (default: around the first fault)")
	regression := fs.String("regression", "", "member mode: run the regression script of this name (\"list\" lists them, \"all\" runs them all)")
	withAuth := fs.Bool("auth", false, "member mode: turn authentication on at the start; clients write as users while a revoker takes permissions away and gives them back")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "raftsim: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	set, err := sim.ParseFaults(*faults)
	if err != nil {
		fmt.Fprintf(stderr, "raftsim: %v\n", err)
		return 2
	}
	if *duration < 15*time.Second {
		fmt.Fprintln(stderr, "raftsim: -duration must be at least 15s (the last 10s are a calm period for the liveness check)")
		return 2
	}
	if *mode == "raft" && *nodes != 0 && (*nodes < 1 || *nodes > 9) {
		fmt.Fprintln(stderr, "raftsim: -nodes must be between 1 and 9")
		return 2
	}
	switch *mode {
	case "raft":
		if *window != "" {
			fmt.Fprintln(stderr, "raftsim: -window needs -mode member")
			return 2
		}
		if *tracePath != "" && *seeds != 0 {
			fmt.Fprintln(stderr, "raftsim: -trace draws one run: use it with -seed, not -seeds")
			return 2
		}
		if *regression != "" {
			fmt.Fprintln(stderr, "raftsim: the regression scripts run real members: use -regression with -mode member")
			return 2
		}
		if *withAuth {
			fmt.Fprintln(stderr, "raftsim: raft nodes have no users: use -auth with -mode member")
			return 2
		}
	case "member":
		if *noPreVote || *noCheckQuorum || *scenario != "" {
			fmt.Fprintln(stderr, "raftsim: -no-prevote, -no-checkquorum and -scenario are raft-mode switches")
			return 2
		}
		return runMember(memberFlags{
			fs: fs, seed: *seed, seeds: *seeds, start: *start, faults: set, faultsFlag: *faults,
			nodes: *nodes, duration: *duration, verbose: *verbose, trace: *tracePath, window: *window,
			regression: *regression, auth: *withAuth,
		}, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "raftsim: -mode must be raft or member, not %q\n", *mode)
		return 2
	}
	configure := func(seed uint64, trace int) sim.RaftConfig {
		cfg := sim.DefaultRaftConfig(seed)
		cfg.Faults = set
		cfg.Duration = sim.Time(duration.Microseconds())
		cfg.Trace = trace
		cfg.DisablePreVote = *noPreVote
		cfg.DisableCheckQuorum = *noCheckQuorum
		if *nodes != 0 {
			cfg.Nodes = *nodes
		}
		return cfg
	}
	replay := func(seed uint64) string {
		parts := []string{"go run ./cmd/raftsim", fmt.Sprintf("-seed %d", seed), "-faults " + *faults}
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "seed", "seeds", "start", "faults", "v", "trace", "mode":
			default:
				// -name=value: a boolean flag takes no separate value
				// ("-no-prevote true" would end the flags at "true").
				parts = append(parts, fmt.Sprintf("-%s=%s", f.Name, f.Value))
			}
		})
		return strings.Join(parts, " ")
	}

	if *scenario != "" {
		return runScenario(*scenario, *seed, *tracePath, stdout, stderr)
	}
	switch {
	case *seeds > 0:
		passed, failed := 0, 0
		begin := time.Now()
		var simulated time.Duration
		for s := *start; s < *start+uint64(*seeds); s++ {
			res := runRaft(configure(s, 0))
			simulated += *duration
			if res.Passed() {
				passed++
				continue
			}
			failed++
			fmt.Fprintf(stdout, "seed %d FAILED at %s: %s\n  replay: %s\n", s, res.At, res.Violation, replay(s))
		}
		wall := time.Since(begin)
		fmt.Fprintf(stdout, "%d seeds, %s simulated in %s (%.0f simulated seconds per wall second)\n",
			*seeds, simulated, wall.Round(time.Millisecond), simulated.Seconds()/wall.Seconds())
		fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
		if failed > 0 {
			return 1
		}
		return 0
	case *seed > 0:
		cfg := configure(*seed, *verbose)
		cfg.Record = *tracePath != ""
		res := runRaft(cfg)
		if *tracePath != "" {
			if err := os.WriteFile(*tracePath, ui.TimelinePage(res.Timeline), 0o644); err != nil {
				fmt.Fprintf(stderr, "raftsim: %v\n", err)
				return 1
			}
			defer fmt.Fprintf(stdout, "timeline written to %s (open it in a browser)\n", *tracePath)
		}
		for _, line := range res.Trace {
			fmt.Fprintln(stdout, line)
		}
		st := res.Stats
		fmt.Fprintf(stdout, "seed %d: %d elections (max term %d), %d proposals (%d dropped), %d entries applied, %d snapshots sent, %d reads served, %d crashes, %d messages (%d lost)\n",
			*seed, st.Elections, st.MaxTerm, st.Proposals, st.ProposalsDropped, st.Applied, st.Snapshots, st.ReadsServed, st.Crashes, st.Messages, st.Dropped)
		if !res.Passed() {
			fmt.Fprintf(stdout, "FAILED at %s: %s\nreplay: %s\n", res.At, res.Violation, replay(*seed))
			return 1
		}
		fmt.Fprintln(stdout, "PASSED: every safety check held after every step, and the cluster made progress after the faults healed")
		return 0
	}
	fs.Usage()
	return 2
}
