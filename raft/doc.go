// Package raft is the Raft consensus algorithm as a pure state machine.
//
// (This overview grows with the package; see the end of the file for the
// Ready/Advance contract once the node API lands.)
package raft
