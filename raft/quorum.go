package raft

import "slices"

// Quorum math for a single majority configuration (§5.2, §5.3; thesis §4.1
// explains why single-server changes keep every two consecutive
// configurations' majorities overlapping).

// quorumSize is the number of voters a decision needs: a strict majority.
func quorumSize(voters int) int { return voters/2 + 1 }

// quorumIndex returns the largest value v such that a majority of voters
// report a value >= v. Applied to match indexes it is the highest index
// replicated on a majority (the candidate commit index of §5.3); applied to
// acknowledged read rounds it is the newest round a majority has confirmed.
// With no voters it returns 0: nothing can be decided.
func quorumIndex(voters []uint64, value func(id uint64) uint64) uint64 {
	n := len(voters)
	if n == 0 {
		return 0
	}
	var stack [7]uint64 // most clusters have at most 7 voters: no allocation
	vals := stack[:0]
	if n > len(stack) {
		vals = make([]uint64, 0, n)
	}
	for _, id := range voters {
		vals = append(vals, value(id))
	}
	slices.Sort(vals)
	// Sorted ascending, the element at n-q is the smallest among the q
	// largest values, i.e. a value that q voters have reached.
	return vals[n-quorumSize(n)]
}

// VoteResult is the outcome of counting votes.
type VoteResult uint8

const (
	// VotePending: neither enough grants nor enough rejections yet.
	VotePending VoteResult = iota
	// VoteWon: a majority granted.
	VoteWon
	// VoteLost: so many rejected that a majority can no longer grant.
	VoteLost
)

// voteResult counts the votes of the configuration's voters; votes from
// non-voters (learners, removed nodes, strangers) never count.
func voteResult(voters []uint64, votes map[uint64]bool) VoteResult {
	granted, rejected := 0, 0
	for _, id := range voters {
		v, ok := votes[id]
		switch {
		case !ok:
		case v:
			granted++
		default:
			rejected++
		}
	}
	q := quorumSize(len(voters))
	switch {
	case granted >= q:
		return VoteWon
	case len(voters)-rejected < q:
		return VoteLost
	}
	return VotePending
}
