//go:build raftunsafe

package raft

// unsafeRulesAllowed is true only in builds tagged raftunsafe, which exist
// to demonstrate what goes wrong when a Raft safety rule is broken.
const unsafeRulesAllowed = true
