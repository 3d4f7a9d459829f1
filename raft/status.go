package raft

import "maps"

// Status is a read-only view of a node for logs, dashboards and tests.
type Status struct {
	ID uint64
	HardState
	SoftState
	Applied   uint64
	LastIndex uint64
	LastTerm  uint64
	// FirstIndex is the oldest entry still in the log (older ones are in a snapshot).
	FirstIndex     uint64
	Config         ConfState
	LeadTransferee uint64
	// Progress is the leader's view of every member (nil unless leader).
	Progress map[uint64]Progress
	// ElectionElapsed and RandomizedElectionTimeout show the election timer.
	ElectionElapsed           int
	RandomizedElectionTimeout int
	ElectionTimeout           int
	HeartbeatTimeout          int
}

func (r *raft) status() Status {
	s := Status{
		ID:                        r.id,
		HardState:                 r.hardState(),
		SoftState:                 r.softState(),
		Applied:                   r.log.applied,
		LastIndex:                 r.log.lastIndex(),
		LastTerm:                  r.log.lastTerm(),
		FirstIndex:                r.log.firstIndex(),
		Config:                    r.confState(),
		LeadTransferee:            r.leadTransferee,
		ElectionElapsed:           r.electionElapsed,
		RandomizedElectionTimeout: r.randomizedElectionTimeout,
		ElectionTimeout:           r.electionTimeout,
		HeartbeatTimeout:          r.heartbeatTimeout,
	}
	if r.state == StateLeader {
		s.Progress = make(map[uint64]Progress, len(r.progress))
		for id, pr := range maps.All(r.progress) {
			cp := *pr
			cp.inflights = nil
			s.Progress[id] = cp
		}
	}
	return s
}
