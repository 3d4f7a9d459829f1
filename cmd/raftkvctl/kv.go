package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/raftkv/raftkv/client"
)

// This file holds the key-value verbs: put, get, del and compaction. Each
// parses its flags into an options struct whose op method builds the
// request; txn builds its operations with the same methods, so that
// "put k v --prev-kv" means the same on the command line and in a txn.

func putCommand() *command {
	return &command{
		name:  "put",
		args:  "[options] <key> <value> (<value> can also be given from stdin)",
		short: "Puts the given key into the store",
		long: `Puts the given key into the store.

When <value> begins with '-', <value> is interpreted as a flag.
Insert '--' for workaround:

$ put <key> -- <value>
$ put -- <key> <value>

If <value> isn't given as a command line argument and '--ignore-value' is not specified,
this command tries to read the value from standard input.

--ttl N (from etcd v2, which the tutorials use) grants a lease of N seconds and
attaches the key to it: the key is deleted N seconds later. 0 means no lease.`,
		example: `raftkvctl put /testdir/testkey "Hello world"
raftkvctl put /testdir/testkey "Hello again" --prev-kv
raftkvctl put /session/token abc --ttl 60
raftkvctl put --lease=694d77aa9e38260f /session/token abc
cat config.yaml | raftkvctl put /config`,
		setup: func(fs *flagSet) runFunc {
			o := newPutOptions(fs)
			return func(e *env, args []string) error {
				key, value, opts, err := o.op(args, e.stdin)
				if err != nil {
					return err
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					if *o.ttl > 0 {
						lease, err := c.Grant(ctx, *o.ttl)
						if err != nil {
							return fmt.Errorf("failed to grant lease for --ttl (%w)", err)
						}
						opts = append(opts, client.WithLease(lease.ID))
					}
					resp, err := c.Put(ctx, key, value, opts...)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.Put(resp) })
				})
			}
		},
	}
}

type putOptions struct {
	lease                            *string
	prevKV, ignoreValue, ignoreLease *bool
	ttl                              *int64
}

func newPutOptions(fs *flagSet) *putOptions {
	return &putOptions{
		lease:       fs.String("lease", "", "0", "lease ID (in hexadecimal) to attach to the key"),
		prevKV:      fs.Bool("prev-kv", "", false, "return the previous key-value pair before modification"),
		ignoreValue: fs.Bool("ignore-value", "", false, "updates the key using its current value"),
		ignoreLease: fs.Bool("ignore-lease", "", false, "updates the key using its current lease"),
		ttl:         fs.Int64("ttl", "", 0, "grant a lease of this many seconds and attach the key to it (0: no lease)"),
	}
}

// op checks the arguments as etcdctl's getPutOp does, with one difference:
// more than two arguments is an error, where etcdctl ignores the extra ones
// (put k Hello world, without quotes, would silently store "Hello").
func (o *putOptions) op(args []string, stdin io.Reader) (key, value string, opts []client.OpOption, err error) {
	const needArgs = "put command needs 1 argument and input from stdin or 2 arguments"
	if len(args) == 0 || len(args) > 2 {
		return "", "", nil, usagef(needArgs)
	}
	key = args[0]
	if *o.ignoreValue && len(args) > 1 {
		return "", "", nil, usagef("put command needs only 1 argument when 'ignore-value' is set")
	}
	if !*o.ignoreValue {
		if len(args) > 1 {
			value = args[1]
		} else if value, err = readAll(stdin); err != nil || value == "" {
			return "", "", nil, usagef(needArgs)
		}
	}
	id, err := strconv.ParseInt(*o.lease, 16, 64)
	if err != nil {
		return "", "", nil, usagef("bad lease ID (%v), expecting ID in Hex", err)
	}
	if *o.ttl < 0 {
		return "", "", nil, usagef("bad TTL %d: must be 0 (no lease) or more", *o.ttl)
	}
	if *o.ttl > 0 && id != 0 {
		return "", "", nil, usagef("--ttl and --lease cannot be set at the same time, choose one")
	}
	if id != 0 {
		opts = append(opts, client.WithLease(id))
	}
	if *o.prevKV {
		opts = append(opts, client.WithPrevKV())
	}
	if *o.ignoreValue {
		opts = append(opts, client.WithIgnoreValue())
	}
	if *o.ignoreLease {
		opts = append(opts, client.WithIgnoreLease())
	}
	return key, value, opts, nil
}

func readAll(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input")
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

func getCommand() *command {
	return &command{
		name:  "get",
		args:  "[options] <key> [range_end]",
		short: "Gets the key or a range of keys",
		long: `Gets the key or a range of keys [key, range_end) if range_end is given.

When the range option is given, it will send the following request:
  --prefix    every key that starts with <key> ("" with --prefix: every key)
  --from-key  every key >= <key>, in byte order

Reads are linearizable by default (--consistency=l): the answer reflects every
write acknowledged before the read began, whichever member answers. With
--consistency=s the member answers from its own state at once: faster, and
possible without a leader, but perhaps stale.`,
		example: `raftkvctl get /testdir/testkey
raftkvctl get /testdir --prefix
raftkvctl get /testdir --prefix --keys-only
raftkvctl get /testdir/testkey --rev=2 -w json
raftkvctl get /testdir --prefix --count-only -w fields`,
		setup: func(fs *flagSet) runFunc {
			o := newGetOptions(fs)
			return func(e *env, args []string) error {
				key, opts, err := o.op(args)
				if err != nil {
					return err
				}
				// etcdctl checks these after the request; checking
				// first gives the same error without a round trip.
				if *o.countOnly {
					if _, ok := e.p.(*fieldsPrinter); !ok {
						return usagef("--count-only is only for `--write-out=fields`")
					}
				}
				if *o.printValueOnly {
					sp, ok := e.p.(*simplePrinter)
					if !ok {
						return usagef("print-value-only is only for `--write-out=simple`")
					}
					sp.valueOnly = true
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.Get(ctx, key, opts...)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.Get(resp) })
				})
			}
		},
	}
}

type getOptions struct {
	consistency, sortOrder, sortTarget                   *string
	limit, rev                                           *int64
	prefix, fromKey, keysOnly, countOnly, printValueOnly *bool
	minModRev, maxModRev, minCreateRev, maxCreateRev     *int64
}

func newGetOptions(fs *flagSet) *getOptions {
	return &getOptions{
		consistency:    fs.String("consistency", "", "l", "Linearizable(l) or Serializable(s)"),
		sortOrder:      fs.String("order", "", "", "Order of results; ASCEND or DESCEND (ASCEND by default)"),
		sortTarget:     fs.String("sort-by", "", "", "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION"),
		limit:          fs.Int64("limit", "", 0, "Maximum number of results"),
		prefix:         fs.Bool("prefix", "", false, "Get keys with matching prefix"),
		fromKey:        fs.Bool("from-key", "", false, "Get keys that are greater than or equal to the given key using byte compare"),
		rev:            fs.Int64("rev", "", 0, "Specify the kv revision"),
		keysOnly:       fs.Bool("keys-only", "", false, "Get only the keys"),
		countOnly:      fs.Bool("count-only", "", false, "Get only the count"),
		printValueOnly: fs.Bool("print-value-only", "", false, `Only write values when using the "simple" output format`),
		minModRev:      fs.Int64("min-mod-rev", "", 0, "Minimum modify revision"),
		maxModRev:      fs.Int64("max-mod-rev", "", 0, "Maximum modify revision"),
		minCreateRev:   fs.Int64("min-create-rev", "", 0, "Minimum create revision"),
		maxCreateRev:   fs.Int64("max-create-rev", "", 0, "Maximum create revision"),
	}
}

// op is etcdctl's getGetOp: the same checks, in the same order, with the
// same words.
func (o *getOptions) op(args []string) (string, []client.OpOption, error) {
	key, opts, err := rangeArgs("get", args, *o.prefix, *o.fromKey)
	if err != nil {
		return "", nil, err
	}
	if *o.keysOnly && *o.countOnly {
		return "", nil, usagef("`--keys-only` and `--count-only` cannot be set at the same time, choose one")
	}
	switch *o.consistency {
	case "s":
		opts = append(opts, client.WithSerializable())
	case "l":
	default:
		return "", nil, withCode(exitBadFeature, fmt.Errorf("unknown consistency flag %q", *o.consistency))
	}
	opts = append(opts, client.WithLimit(*o.limit))
	if *o.rev > 0 {
		opts = append(opts, client.WithRev(*o.rev))
	}
	order := client.SortNone
	switch strings.ToUpper(*o.sortOrder) {
	case "ASCEND":
		order = client.SortAscend
	case "DESCEND":
		order = client.SortDescend
	case "":
	default:
		return "", nil, withCode(exitBadFeature, fmt.Errorf("bad sort order %v", *o.sortOrder))
	}
	target := client.SortByKey
	switch strings.ToUpper(*o.sortTarget) {
	case "CREATE":
		target = client.SortByCreateRevision
	case "KEY":
	case "MODIFY":
		target = client.SortByModRevision
	case "VALUE":
		target = client.SortByValue
	case "VERSION":
		target = client.SortByVersion
	case "":
	default:
		return "", nil, withCode(exitBadFeature, fmt.Errorf("bad sort target %v", *o.sortTarget))
	}
	opts = append(opts, client.WithSort(target, order))
	if *o.keysOnly {
		opts = append(opts, client.WithKeysOnly())
	}
	if *o.countOnly {
		opts = append(opts, client.WithCountOnly())
	}
	if *o.minModRev > 0 {
		opts = append(opts, client.WithMinModRev(*o.minModRev))
	}
	if *o.maxModRev > 0 {
		opts = append(opts, client.WithMaxModRev(*o.maxModRev))
	}
	if *o.minCreateRev > 0 {
		opts = append(opts, client.WithMinCreateRev(*o.minCreateRev))
	}
	if *o.maxCreateRev > 0 {
		opts = append(opts, client.WithMaxCreateRev(*o.maxCreateRev))
	}
	return key, opts, nil
}

// rangeArgs reads get's and del's <key> [range_end] with --prefix and
// --from-key into a key and a range. An empty key with --prefix or
// --from-key means every key: "\x00" and up.
func rangeArgs(verb string, args []string, prefix, fromKey bool) (string, []client.OpOption, error) {
	if len(args) == 0 || len(args) > 2 {
		return "", nil, usagef("%s command needs one argument as key and an optional argument as range_end", verb)
	}
	if prefix && fromKey {
		return "", nil, usagef("`--prefix` and `--from-key` cannot be set at the same time, choose one")
	}
	key := args[0]
	var opts []client.OpOption
	if len(args) > 1 {
		if prefix || fromKey {
			return "", nil, usagef("too many arguments, only accept one argument when `--prefix` or `--from-key` is set")
		}
		opts = append(opts, client.WithRange(args[1]))
	}
	switch {
	case (prefix || fromKey) && key == "":
		return "\x00", append(opts, client.WithFromKey()), nil
	case prefix:
		return key, append(opts, client.WithPrefix()), nil
	case fromKey:
		return key, append(opts, client.WithFromKey()), nil
	}
	return key, opts, nil
}

func delCommand() *command {
	return &command{
		name:  "del",
		args:  "[options] <key> [range_end]",
		short: "Removes the specified key or range of keys [key, range_end)",
		long: `Removes the specified key or range of keys [key, range_end) and prints how
many keys it deleted.`,
		example: `raftkvctl del /testdir/testkey
raftkvctl del /test --prefix
raftkvctl del / --prefix          # every key that starts with "/"
raftkvctl del k1 --prev-kv`,
		setup: func(fs *flagSet) runFunc {
			o := newDelOptions(fs)
			return func(e *env, args []string) error {
				key, opts, err := o.op(args)
				if err != nil {
					return err
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					resp, err := c.Delete(ctx, key, opts...)
					if err != nil {
						return err
					}
					return e.show(func(p printer) error { return p.Del(resp) })
				})
			}
		},
	}
}

type delOptions struct{ prefix, prevKV, fromKey *bool }

func newDelOptions(fs *flagSet) *delOptions {
	return &delOptions{
		prefix:  fs.Bool("prefix", "", false, "delete keys with matching prefix"),
		prevKV:  fs.Bool("prev-kv", "", false, "return deleted key-value pairs"),
		fromKey: fs.Bool("from-key", "", false, "delete keys that are greater than or equal to the given key using byte compare"),
	}
}

// op is etcdctl's getDelOp.
func (o *delOptions) op(args []string) (string, []client.OpOption, error) {
	key, opts, err := rangeArgs("del", args, *o.prefix, *o.fromKey)
	if err != nil {
		return "", nil, err
	}
	if *o.prevKV {
		opts = append(opts, client.WithPrevKV())
	}
	return key, opts, nil
}

func compactionCommand() *command {
	return &command{
		name:  "compaction",
		args:  "[options] <revision>",
		short: "Compacts the event history in raftkv",
		long: `Compacts the event history in raftkv: every revision before <revision> is
forgotten (the latest value of each key stays). Reads and watches at older
revisions then fail with "required revision has been compacted".`,
		example: `raftkvctl compaction 23
raftkvctl compaction --physical 23`,
		setup: func(fs *flagSet) runFunc {
			physical := fs.Bool("physical", "", false, "'true' to wait for compaction to physically remove all old revisions")
			return func(e *env, args []string) error {
				if len(args) != 1 {
					return usagef("compaction command needs 1 argument")
				}
				rev, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil {
					return err
				}
				var opts []client.CompactOption
				if *physical {
					opts = append(opts, client.WithCompactPhysical())
				}
				return e.request(func(ctx context.Context, c *client.Client) error {
					if _, err := c.Compact(ctx, rev, opts...); err != nil {
						return err
					}
					// etcdctl prints this whatever -w says.
					return e.printf("compacted revision %d\n", rev)
				})
			}
		},
	}
}
