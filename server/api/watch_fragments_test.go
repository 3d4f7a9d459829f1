package api

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/kv"
)

func event(key string, valueBytes int) kv.Event {
	return kv.Event{Kv: kv.KeyValue{Key: []byte(key), Value: []byte(strings.Repeat("v", valueBytes))}}
}

// A revision too large for one message is split as etcd splits it: every
// event once and in order, at least one event a part (even one larger than
// the limit), every part but the last marked Fragment; within the limit,
// the response comes back whole.
func TestFragments_SplitAsEtcdDoes(t *testing.T) {
	resp := &WatchResponse{WatchID: 7, Header: Header{Revision: 9}, Events: []kv.Event{
		event("a", 600), event("b", 600), event("c", 2000), event("d", 10), event("e", 10),
	}}
	parts := Fragments(resp, 1500)
	var keys []string
	for i, p := range parts {
		require.NotEmpty(t, p.Events, "part %d", i)
		require.Equal(t, i < len(parts)-1, p.Fragment, "part %d of %d", i, len(parts))
		require.Equal(t, int64(7), p.WatchID)
		require.Equal(t, int64(9), p.Header.Revision)
		for _, e := range p.Events {
			keys = append(keys, string(e.Kv.Key))
		}
	}
	require.Equal(t, []string{"a", "b", "c", "d", "e"}, keys)
	require.Len(t, parts, 3, "a+b, then c alone (over the limit by itself), then d+e")

	whole := Fragments(resp, 1<<20)
	require.Len(t, whole, 1)
	require.Same(t, resp, whole[0])
	require.False(t, whole[0].Fragment)
}
