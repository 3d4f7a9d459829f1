// Command raftsim runs the deterministic Raft simulator (package sim).
//
//	raftsim -seed 10 -faults partition -duration 15s   one seed, with a trace
//	raftsim -seeds 2000 -faults all                     many seeds, a summary
//	raftsim -mode member -seed 7 -trace run.html        real members and clients,
//	                                                    drawn as an HTML timeline
//	raftsim -mode member -seeds 1000 -faults all        many member-level seeds
//	raftsim -mode member -regression list               the regression scripts, named
//	                                                    after the bugs they keep fixed
//
// A trace shows elections, terms, leaders, faults and commits as they happen
// in virtual time; -v 2 adds raft's own log lines (in member mode, the
// members' log lines and every client operation). The last line of a
// multi-seed run is "N passed, M failed"; each failure prints the command
// that replays it. docs/simulation.md walks through member-level runs.
package main
