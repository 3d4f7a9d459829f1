package api

import "github.com/raftkv/raftkv/kv"

// Fragments splits a watch response whose events would exceed limit bytes,
// as etcd splits a revision too large for one message when the watcher
// asked for fragments: each part holds at least one event (a single event
// larger than limit goes alone), and every part but the last is marked
// Fragment, so that the client knows to join them. A response within limit
// comes back whole, as the only part.
func Fragments(resp *WatchResponse, limit int) []*WatchResponse {
	if len(resp.Events) < 2 || eventsSize(resp.Events) < limit {
		return []*WatchResponse{resp}
	}
	var parts []*WatchResponse
	evs := resp.Events
	for len(evs) > 0 {
		n, size := 0, 0
		for n < len(evs) && (n == 0 || size+eventSize(&evs[n]) < limit) {
			size += eventSize(&evs[n])
			n++
		}
		part := *resp
		part.Events, part.Fragment = evs[:n], n < len(evs)
		parts = append(parts, &part)
		evs = evs[n:]
	}
	return parts
}

// eventSize is about what an event takes in etcd's protobuf encoding: its
// keys and values, and a few bytes of framing per field.
func eventSize(e *kv.Event) int {
	n := 32 + len(e.Kv.Key) + len(e.Kv.Value)
	if e.PrevKv != nil {
		n += 32 + len(e.PrevKv.Key) + len(e.PrevKv.Value)
	}
	return n
}

func eventsSize(evs []kv.Event) int {
	n := 0
	for i := range evs {
		n += eventSize(&evs[i])
	}
	return n
}
