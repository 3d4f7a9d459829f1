// Command raftsim runs the deterministic Raft simulator (package sim).
//
//	raftsim -seed 10 -faults partition -duration 15s   one seed, with a trace
//	raftsim -seeds 2000 -faults all                     many seeds, a summary
//
// A trace shows elections, terms, leaders, faults and commits as they happen
// in virtual time; -v 2 adds raft's own log lines. The last line of a
// multi-seed run is "N passed, M failed"; each failure prints the command
// that replays it.
package main
