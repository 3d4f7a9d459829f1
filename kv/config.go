package kv

// Config holds the store's limits. Every member of a cluster must use the same
// values for the fields marked "replicated": they change what Apply does, and
// members that disagree would diverge.
type Config struct {
	// MaxTxnOps is the largest number of compares, or of operations in one
	// branch, that a transaction may hold (replicated; etcd's
	// --max-txn-ops, default 128).
	MaxTxnOps int
	// MinLeaseTTL is the smallest TTL, in seconds, a lease is granted; smaller
	// requests are raised to it (replicated). etcd derives it from the
	// election timeout (1.5 × election timeout, rounded up to seconds) so that
	// a lease cannot expire during a normal leader election. 0 means 1.
	MinLeaseTTL int64
	// WatchQueueLimit is how many events a watcher may have waiting before
	// the store stops queueing live events for it; the watcher then catches
	// up from history when it is read again (local, default 1024).
	WatchQueueLimit int
	// WatchBatchLimit is roughly how many events one catch-up step reads from
	// history: whole revisions are added until it is reached (local, default 1000).
	WatchBatchLimit int
}

// Defaults, as etcd's where etcd has one.
const (
	DefaultMaxTxnOps       = 128
	DefaultWatchQueueLimit = 1024
	DefaultWatchBatchLimit = 1000
	// MaxLeaseTTL is etcd's largest lease TTL, in seconds (about 285 years).
	MaxLeaseTTL = 9_000_000_000
)

// withDefaults fills in zero fields.
func (c Config) withDefaults() Config {
	if c.MaxTxnOps <= 0 {
		c.MaxTxnOps = DefaultMaxTxnOps
	}
	if c.MinLeaseTTL <= 0 {
		c.MinLeaseTTL = 1
	}
	if c.WatchQueueLimit <= 0 {
		c.WatchQueueLimit = DefaultWatchQueueLimit
	}
	if c.WatchBatchLimit <= 0 {
		c.WatchBatchLimit = DefaultWatchBatchLimit
	}
	return c
}
