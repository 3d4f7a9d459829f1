package server

import "github.com/raftkv/raftkv/client/wire"

// A learner (thesis §4.2.1) receives the log but does not vote; until it is
// promoted it may be far behind, and it cannot serve a linearizable read
// (its read index would come from a leader it does not count for). etcd
// serves only two requests on a learner — its status, and a serializable
// range, which a client asks for knowing it may be stale — and a backup
// (Snapshot, the one stream it serves: a copy of what the learner holds),
// and refuses everything else with ErrNotSupportedForLearner, watches and
// keep-alives included. So does raftkv.

// ErrNotSupportedForLearner is etcd's refusal of a request a learner does
// not serve.
var ErrNotSupportedForLearner = &wire.Error{Code: wire.FailedPrecondition, Message: "etcdserver: rpc not supported for learner"}

// refuseOnLearner refuses a request while this member is a learner.
func (s *Server) refuseOnLearner() error {
	if s.view.Load().IsLearner {
		return ErrNotSupportedForLearner
	}
	return nil
}
