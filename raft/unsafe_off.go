//go:build !raftunsafe

package raft

// unsafeRulesAllowed is false in every normal build: a Config that asks to
// break a safety rule is refused, so no raftkv binary can ever run with one.
// Build with -tags raftunsafe (the simulator's break-a-rule scenarios do) to
// allow it.
const unsafeRulesAllowed = false
