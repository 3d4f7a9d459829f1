package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/raftkv/raftkv/client"
)

func txnCommand() *command {
	return &command{
		name:  "txn",
		args:  "[options]",
		short: "Txn processes all the requests in one transaction",
		long: `Txn reads a transaction from standard input and runs it atomically, at one
revision: if every comparison holds, the success requests run, otherwise the
failure requests.

The input is three blocks, each ended by an empty line:
  compares, one a line:          <target>("<key>") <op> "<value>"
    target: ver|version, c|create, m|mod, val|value, lease (a hex lease ID)
    op:     =, !=, < or >
  success requests, one a line:  get, put or del, with their options
  failure requests, one a line:  the same

With -i (interactive), txn asks for each block in turn.`,
		example: `raftkvctl txn -i
printf 'value("user1") = "bad"\n\ndel user1\n\nput result failed\n\n' | raftkvctl txn
printf 'mod("user1") > "0"\n\nput x 1\n\nget result\n\n' | raftkvctl txn -w json
printf 'create("lock") = "0"\n\nput lock me\n\nget lock\n\n' | raftkvctl txn`,
		setup: func(fs *flagSet) runFunc {
			interactive := fs.Bool("interactive", "i", false, "Input transaction in interactive mode")
			return func(e *env, args []string) error {
				if len(args) != 0 {
					return usagef("txn command does not accept argument")
				}
				prompt := func(s string) {
					if *interactive {
						e.printf("%s\n", s)
					}
				}
				r := bufio.NewReader(e.stdin)
				prompt("compares:")
				cmps, err := readCompares(r)
				if err != nil {
					return err
				}
				prompt("success requests (get, put, del):")
				thenOps, err := readOps(r)
				if err != nil {
					return err
				}
				prompt("failure requests (get, put, del):")
				elseOps, err := readOps(r)
				if err != nil {
					return err
				}
				c, err := e.client()
				if err != nil {
					return err
				}
				ctx, cancel := e.commandCtx()
				defer cancel()
				resp, err := c.Txn(ctx).If(cmps...).Then(thenOps...).Else(elseOps...).Commit()
				if err != nil {
					return err
				}
				return e.show(func(p printer) error { return p.Txn(resp) })
			}
		},
	}
}

// readLines reads a block: lines up to an empty one. Input that ends before
// the empty line is etcdctl's "Error: EOF", exit code 3.
func readLines(r *bufio.Reader, parse func(line string) error) error {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return withCode(exitInvalidInput, err)
		}
		if line = strings.TrimSpace(line); line == "" {
			return nil
		}
		if err := parse(line); err != nil {
			return err
		}
	}
}

func readCompares(r *bufio.Reader) ([]client.Cmp, error) {
	var cmps []client.Cmp
	err := readLines(r, func(line string) error {
		cmp, err := parseCompare(line)
		if err != nil {
			return withCode(exitInvalidInput, err)
		}
		cmps = append(cmps, cmp)
		return nil
	})
	return cmps, err
}

func readOps(r *bufio.Reader) ([]client.Op, error) {
	var ops []client.Op
	err := readLines(r, func(line string) error {
		op, err := parseRequest(line)
		if err != nil {
			return err
		}
		ops = append(ops, op)
		return nil
	})
	return ops, err
}

// parseCompare reads one comparison, as etcdctl's ParseCompare:
//
//	value("user1") = "bad"    version("k") > "0"    create("lock") = "0"
//
// The key and the value are Go-quoted strings; the numbers are in decimal,
// except a lease ID, which is hex as everywhere in etcdctl.
func parseCompare(line string) (client.Cmp, error) {
	target, rest, ok := strings.Cut(line, "(")
	if !ok {
		return client.Cmp{}, fmt.Errorf("malformed comparison: %s", line)
	}
	var key, op, val string
	n, err := fmt.Sscanf(rest, "%q) %s %q", &key, &op, &val)
	if n != 3 {
		return client.Cmp{}, fmt.Errorf("malformed comparison: %s; got %s(%q) %s %q", line, target, key, op, val)
	}
	if err != nil {
		return client.Cmp{}, fmt.Errorf("malformed comparison: %s (%v)", line, err)
	}
	switch op {
	case "=", "!=", "<", ">":
	default:
		return client.Cmp{}, fmt.Errorf("malformed comparison: %s (unknown operator %s)", line, op)
	}
	number := func(base int) (int64, error) {
		v, err := strconv.ParseInt(val, base, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid txn compare request: %s", line)
		}
		return v, nil
	}
	var cmp client.Cmp
	switch target {
	case "ver", "version":
		cmp = client.Version(key)
	case "c", "create":
		cmp = client.CreateRevision(key)
	case "m", "mod":
		cmp = client.ModRevision(key)
	case "val", "value":
		return client.Compare(client.Value(key), op, val), nil
	case "lease":
		id, err := number(16)
		if err != nil {
			return client.Cmp{}, err
		}
		return client.Compare(client.LeaseValue(key), op, id), nil
	default:
		return client.Cmp{}, fmt.Errorf("malformed comparison: %s (unknown target %s)", line, target)
	}
	v, err := number(10)
	if err != nil {
		return client.Cmp{}, err
	}
	return client.Compare(cmp, op, v), nil
}

// parseRequest reads one operation of a txn: a get, put or del command line
// with the same options as the commands themselves.
func parseRequest(line string) (client.Op, error) {
	args, err := argify(line)
	if err != nil || len(args) < 2 {
		return client.Op{}, withCode(exitInvalidInput, fmt.Errorf("invalid txn compare request: %s", line))
	}
	invalid := withCode(exitInvalidInput, fmt.Errorf("invalid txn request: %s", line))
	// Declare the verb's flags, and how to build its op from what the
	// flags leave.
	fs := newFlagSet()
	var build func(args []string) (client.Op, error)
	switch args[0] {
	case "put":
		o := newPutOptions(fs)
		build = func(args []string) (client.Op, error) {
			if *o.ttl != 0 {
				return client.Op{}, usagef("--ttl is not supported in a txn: grant a lease (lease grant) and use --lease")
			}
			// No value from stdin here: stdin is the txn itself.
			key, value, opts, err := o.op(args, nil)
			return client.OpPut(key, value, opts...), err
		}
	case "get":
		o := newGetOptions(fs)
		build = func(args []string) (client.Op, error) {
			key, opts, err := o.op(args)
			return client.OpGet(key, opts...), err
		}
	case "del":
		o := newDelOptions(fs)
		build = func(args []string) (client.Op, error) {
			key, opts, err := o.op(args)
			return client.OpDelete(key, opts...), err
		}
	default:
		return client.Op{}, invalid
	}
	parsed, err := fs.Parse(args[1:])
	if err != nil {
		return client.Op{}, invalid
	}
	return build(parsed.args)
}
