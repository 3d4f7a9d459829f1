package server

import (
	"slices"
	"time"
)

// A member can only answer peers its transport knows the address of, and
// it learns addresses from the replicated membership — as it applies the
// log. Two situations leave it unable to answer a peer that is talking to
// it, for good, since the log it needs can only come from that peer:
//
//   - it joined (--initial-cluster-state existing) and stopped before the
//     leader's first snapshot or entries arrived: on restart there is no
//     membership on disk at all;
//   - it was down while a new member joined, and that member is now the
//     leader: the leader's appends arrive, its replies (and its votes) have
//     nowhere to go.
//
// Both were found by the member-level simulator; its regression scripts
// joined-member-restarted-before-its-first-entries and
// member-down-while-its-new-leader-joined stage them. In both
// the member asks the peers it knows of, as a joining member does, and
// tells its transport where everyone is. That changes no replicated state.

// rediscoverEvery rate-limits the question: once per this interval at most.
const rediscoverEvery = 2 * time.Second

// maybeRediscover is called with the sender of each incoming message.
func (m *Member) maybeRediscover(from uint64) {
	if from == m.id || from == 0 || m.env.FetchCluster == nil {
		return
	}
	if _, known := m.cluster.Members[from]; known || m.cluster.Removed[from] {
		return
	}
	now := m.env.Clock.Now()
	if now.Before(m.nextRediscover) {
		return
	}
	m.nextRediscover = now.Add(rediscoverEvery)
	m.logf("message from unknown member %x: asking the peers who is in the cluster", from)
	m.rediscoverPeers()
}

// rediscoverPeers asks the peers — those in the membership and those in
// --initial-cluster — who is in the cluster, and adds them all to the
// transport. In production the question goes over HTTP, off the member's
// goroutine (Env.Background); the simulator answers at once.
func (m *Member) rediscoverPeers() {
	urls := m.peerURLsToAsk()
	if len(urls) == 0 || m.env.FetchCluster == nil {
		return
	}
	var found []MemberInfo
	work := func() error {
		_, members, err := m.env.FetchCluster(urls)
		found = members
		return err
	}
	done := func(err error) {
		if err != nil {
			m.logf("could not ask the peers who is in the cluster: %v", err)
			return
		}
		for _, info := range found {
			if info.ID != m.id && !m.cluster.Removed[info.ID] {
				m.env.Transport.AddPeer(info.ID, info.PeerURLs)
			}
		}
	}
	if m.env.Background == nil {
		done(work())
		return
	}
	m.env.Background(work, done)
}

// peerURLsToAsk lists the peer URLs of every other member this member
// knows of, from the membership and from --initial-cluster.
func (m *Member) peerURLsToAsk() []string {
	var urls []string
	for _, info := range m.cluster.list() {
		if info.ID != m.id {
			urls = append(urls, info.PeerURLs...)
		}
	}
	if initial, err := ParseInitialCluster(m.cfg.InitialCluster); err == nil {
		for _, im := range initial {
			if im.Name != m.cfg.Name {
				urls = append(urls, im.PeerURLs...)
			}
		}
	}
	for _, u := range m.cfg.InitialAdvertisePeerURLs {
		urls = slices.DeleteFunc(urls, func(x string) bool { return x == u })
	}
	slices.Sort(urls)
	return slices.Compact(urls)
}
