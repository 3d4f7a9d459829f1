package v3rpc

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/raftkv/raftkv/server/api"
)

// etcd's metadata keys (rpctypes): a client sets "hasleader" to "true" to
// be refused, rather than kept waiting, while the member it talks to has
// no leader — clientv3's WithRequireLeader, which Kubernetes uses for its
// watches.
const (
	metadataRequireLeaderKey = "hasleader"
	metadataHasLeader        = "true"
)

// maxNoLeaderChecks is how many election timeouts in a row without a
// leader make a member cancel the streams of clients that require one
// (etcd's maxNoLeaderCnt): reconnecting a stream costs more than refusing a
// new request, so streams get a little more patience.
const maxNoLeaderChecks = 3

type interceptors struct {
	b               api.Backend
	electionTimeout time.Duration
}

// The metadata of a call is read key by key (ValueFromIncomingContext):
// FromIncomingContext would copy all of it, for every call, three times.
func requiresLeader(ctx context.Context) bool {
	ks := metadata.ValueFromIncomingContext(ctx, metadataRequireLeaderKey)
	return len(ks) > 0 && ks[0] == metadataHasLeader
}

func (ic interceptors) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if requiresLeader(ctx) && ic.b.Leader() == 0 {
		return nil, errNoLeader
	}
	return handler(api.WithCredentials(ctx, credentialsOf(ctx)), req)
}

func (ic interceptors) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := api.WithCredentials(ss.Context(), credentialsOf(ss.Context()))
	if !requiresLeader(ctx) {
		return handler(srv, &streamWithContext{ServerStream: ss, ctx: ctx})
	}
	if ic.b.Leader() == 0 {
		return errNoLeader
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go ic.monitorLeader(ctx, cancel)
	return handler(srv, &streamWithContext{ServerStream: ss, ctx: &causeContext{ctx}})
}

// monitorLeader cancels a stream, with "no leader", once the member has
// had no leader for maxNoLeaderChecks election timeouts in a row.
func (ic interceptors) monitorLeader(ctx context.Context, cancel context.CancelCauseFunc) {
	every := ic.electionTimeout
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	without := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ic.b.Leader() != 0 {
			without = 0
			continue
		}
		if without++; without >= maxNoLeaderChecks {
			cancel(errNoLeader)
			return
		}
	}
}

type streamWithContext struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *streamWithContext) Context() context.Context { return s.ctx }

// causeContext reports the cause a stream was canceled with as its error,
// so that the handler can end the stream with it.
type causeContext struct{ context.Context }

func (c *causeContext) Err() error {
	if err := c.Context.Err(); err != nil {
		if cause := context.Cause(c.Context); cause != nil {
			return cause
		}
		return err
	}
	return nil
}
