package main

import (
	"fmt"
	"sort"
	"strings"
)

// command is one verb (put, get...) or a group of them (lease, member...).
// The tree is built afresh by rootCommand for every run: a command's flags
// live in the closure its setup returns, never in package variables.
type command struct {
	name string
	// args is the usage line after the command's path:
	// "[options] <key> [range_end]".
	args    string
	short   string // one line, for the parent's list of commands
	long    string // DESCRIPTION in --help
	example string // EXAMPLES in --help
	// setup declares the command's flags on fs and returns the function
	// that runs the command once they are parsed. Nil for a group.
	setup func(fs *flagSet) runFunc
	// noEnv: the command does not read the RAFTKVCTL_* environment
	// (version and help, as etcdctl, which reads it only to build a client).
	noEnv  bool
	subs   []*command
	parent *command
}

// runFunc runs a command with its arguments (what the flags left).
type runFunc func(e *env, args []string) error

// rootCommand is the whole tree of commands.
func rootCommand() *command {
	root := &command{
		name:  "raftkvctl",
		short: "A simple command line client for raftkv, etcdctl's look-alike.",
		long: `raftkvctl talks to a raftkv cluster (or an etcd one) over etcd's v3 JSON API.
Its commands, flags, output formats and exit codes are etcdctl's.

Every global option can also be given as an environment variable named after it:
--endpoints is RAFTKVCTL_ENDPOINTS, --write-out is RAFTKVCTL_WRITE_OUT, and so on.
Setting both the variable and the flag is an error, as in etcdctl.`,
		example: `raftkvctl put /testdir/testkey "Hello world"
raftkvctl get /testdir/testkey
raftkvctl --endpoints=127.0.0.1:2379,127.0.0.1:22379 endpoint status -w table`,
		subs: []*command{
			getCommand(), putCommand(), delCommand(), txnCommand(), compactionCommand(),
			watchCommand(), leaseCommand(), lockCommand(), electCommand(),
			memberCommand(), endpointCommand(), snapshotCommand(), defragCommand(), moveLeaderCommand(), alarmCommand(),
			versionCommand(), authCommand(), userCommand(), roleCommand(),
		},
	}
	root.subs = append(root.subs, helpCommand(root))
	link(root)
	return root
}

func link(c *command) {
	sort.Slice(c.subs, func(i, j int) bool { return c.subs[i].name < c.subs[j].name })
	for _, s := range c.subs {
		s.parent = c
		link(s)
	}
}

// path is the command as typed: "raftkvctl lease grant".
func (c *command) path() string {
	if c.parent == nil {
		return c.name
	}
	return c.parent.path() + " " + c.name
}

// sub finds a subcommand by name or, as cobra with etcdctl's
// EnablePrefixMatching, by a prefix that names only one ("mem" is member).
func (c *command) sub(name string) *command {
	var found []*command
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
		if strings.HasPrefix(s.name, name) {
			found = append(found, s)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return nil
}

// find walks args to the command they name, skipping the global flags that
// may come first ("raftkvctl -w json get foo"), and returns it with the
// arguments that are left: the flags and the command's own arguments.
// takesValue says which flags consume the next argument ("-w json").
func (c *command) find(args []string, takesValue func(flag string) bool) (*command, []string, error) {
	cur := c
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return cur, append(rest, args[i:]...), nil
		case len(a) > 1 && a[0] == '-':
			rest = append(rest, a)
			if !strings.Contains(a, "=") && takesValue(a) && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		case len(cur.subs) > 0:
			next := cur.sub(a)
			if next == nil {
				return nil, nil, &unknownCommandError{name: a, parent: cur}
			}
			cur = next
		default:
			return cur, append(rest, args[i:]...), nil
		}
	}
	return cur, rest, nil
}

// unknownCommandError is cobra's answer to a verb that does not exist, with
// its suggestions: `unknown command "gett" for "raftkvctl"`.
type unknownCommandError struct {
	name   string
	parent *command
}

func (e *unknownCommandError) Error() string {
	msg := fmt.Sprintf("unknown command %q for %q", e.name, e.parent.path())
	var near []string
	for _, s := range e.parent.subs {
		if levenshtein(e.name, s.name) <= 2 || strings.HasPrefix(strings.ToLower(s.name), strings.ToLower(e.name)) {
			near = append(near, s.name)
		}
	}
	if len(near) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(near, "\n\t") + "\n"
	}
	return msg
}

// levenshtein is the edit distance cobra uses for its suggestions.
func levenshtein(a, b string) int {
	a, b = strings.ToLower(a), strings.ToLower(b)
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// helpCommand is "raftkvctl help [command]", cobra's help command.
func helpCommand(root *command) *command {
	return &command{
		name:    "help",
		args:    "[command]",
		short:   "Help about any command",
		long:    "Help provides help for any command in the application.",
		example: "raftkvctl help put\nraftkvctl help lease grant",
		noEnv:   true,
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				target := root
				for _, a := range args {
					next := target.sub(a)
					if next == nil {
						// cobra says so, and shows the nearest help it has.
						fmt.Fprintf(e.stdout, "Unknown help topic %q\n", strings.Join(args, " "))
						break
					}
					target = next
				}
				return writeHelp(e.stdout, target, e.globalDefs)
			}
		},
	}
}
