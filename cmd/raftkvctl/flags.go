package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file is a small flag parser with the rules of spf13/pflag, which
// etcdctl uses through cobra, written with the standard library only. The
// standard library's flag package cannot do what etcdctl users type:
//
//	raftkvctl put foo bar --lease=1234   flags after the arguments
//	raftkvctl get -w json foo            a one-letter shorthand with a value
//	raftkvctl watch -i                   a shorthand bool
//	raftkvctl put -- foo -bar            "--" ends the flags: "-bar" is a value
//
// The rules, as pflag's:
//   - --name=value and --name value; -n value, -nvalue and -n=value;
//   - a bool flag takes no value ("--prefix"), unless written --prefix=false;
//   - shorthand bools combine: -il is -i -l;
//   - flags and arguments mix in any order;
//   - "--" ends the flags; a lone "-" is an argument; anything else that
//     starts with '-' is a flag, so a negative number or a value starting
//     with '-' must come after "--";
//   - errors use pflag's words ("unknown flag: --foo"), which etcdctl prints.

// flagValue is the value behind a flag: Set parses text into it.
type flagValue interface {
	Set(s string) error
	// String is the current value as text: the default shown by --help.
	String() string
}

type flagDef struct {
	name, short string
	usage       string
	value       flagValue
	defValue    string // String() at definition time, for --help
	isBool      bool
	quoted      bool // a string: --help shows its default in quotes
	changed     bool // set on the command line (not from the environment)
}

// flagSet is one command's flags: its own, the global ones and --help.
// A new flagSet is built for every invocation, so values never leak from one
// run to the next (there is no package-level flag state, unlike cobra's).
type flagSet struct {
	defs    []*flagDef
	byName  map[string]*flagDef
	byShort map[string]*flagDef
}

func newFlagSet() *flagSet {
	return &flagSet{byName: map[string]*flagDef{}, byShort: map[string]*flagDef{}}
}

func (fs *flagSet) add(name, short, usage string, v flagValue) *flagDef {
	d := &flagDef{name: name, short: short, usage: usage, value: v, defValue: v.String()}
	switch v.(type) {
	case *boolValue:
		d.isBool = true
	case *stringValue:
		d.quoted = true
	}
	fs.defs = append(fs.defs, d)
	fs.byName[name] = d
	if short != "" {
		fs.byShort[short] = d
	}
	return d
}

// merge adds the flags of other (the global ones) to fs.
func (fs *flagSet) merge(other *flagSet) {
	for _, d := range other.defs {
		fs.defs = append(fs.defs, d)
		fs.byName[d.name] = d
		if d.short != "" {
			fs.byShort[d.short] = d
		}
	}
}

func (fs *flagSet) Bool(name, short string, def bool, usage string) *bool {
	p := new(bool)
	*p = def
	fs.add(name, short, usage, (*boolValue)(p))
	return p
}

func (fs *flagSet) String(name, short, def, usage string) *string {
	p := new(string)
	*p = def
	fs.add(name, short, usage, (*stringValue)(p))
	return p
}

func (fs *flagSet) Int64(name, short string, def int64, usage string) *int64 {
	p := new(int64)
	*p = def
	fs.add(name, short, usage, (*int64Value)(p))
	return p
}

func (fs *flagSet) Int(name, short string, def int, usage string) *int {
	p := new(int)
	*p = def
	fs.add(name, short, usage, (*intValue)(p))
	return p
}

func (fs *flagSet) Duration(name, short string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	*p = def
	fs.add(name, short, usage, (*durationValue)(p))
	return p
}

func (fs *flagSet) StringSlice(name, short string, def []string, usage string) *[]string {
	v := &stringSliceValue{list: append([]string(nil), def...)}
	fs.add(name, short, usage, v)
	return &v.list
}

// Changed reports whether the flag was given on the command line.
func (fs *flagSet) Changed(name string) bool {
	d := fs.byName[name]
	return d != nil && d.changed
}

// sorted returns the flags by name, as pflag lists them in help.
func (fs *flagSet) sorted() []*flagDef {
	out := append([]*flagDef(nil), fs.defs...)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// parsedArgs is what is left of the command line once the flags are taken:
// the arguments, and how many of them came before "--" (-1 without "--"),
// which watch needs to tell its key from the command it runs.
type parsedArgs struct {
	args   []string
	dashAt int
}

// Parse sets the flags found in args and returns the other arguments.
func (fs *flagSet) Parse(args []string) (parsedArgs, error) {
	out := parsedArgs{dashAt: -1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			out.dashAt = len(out.args)
			out.args = append(out.args, args[i+1:]...)
			return out, nil
		case len(a) < 2 || a[0] != '-':
			out.args = append(out.args, a)
		case a[1] == '-':
			n, err := fs.parseLong(a, args[i+1:])
			if err != nil {
				return out, err
			}
			i += n
		default:
			n, err := fs.parseShort(a, args[i+1:])
			if err != nil {
				return out, err
			}
			i += n
		}
	}
	return out, nil
}

// parseLong handles "--name" or "--name=value"; it returns how many of the
// following arguments it consumed (1 for "--name value").
func (fs *flagSet) parseLong(a string, rest []string) (int, error) {
	name, value, hasValue := strings.Cut(a[2:], "=")
	if name == "" || name[0] == '-' || name[0] == '=' {
		return 0, fmt.Errorf("bad flag syntax: %s", a)
	}
	d := fs.byName[name]
	if d == nil {
		return 0, fmt.Errorf("unknown flag: --%s", name)
	}
	switch {
	case hasValue:
		return 0, fs.set(d, value)
	case d.isBool:
		return 0, fs.set(d, "true")
	case len(rest) > 0:
		return 1, fs.set(d, rest[0])
	}
	return 0, fmt.Errorf("flag needs an argument: %s", a)
}

// parseShort handles a group of shorthands: "-i", "-il", "-wjson", "-w=json",
// "-w json".
func (fs *flagSet) parseShort(a string, rest []string) (int, error) {
	shorts := a[1:]
	for len(shorts) > 0 {
		c := shorts[:1]
		d := fs.byShort[c]
		if d == nil {
			return 0, fmt.Errorf("unknown shorthand flag: %q in -%s", shorts[0], shorts)
		}
		switch {
		case len(shorts) > 2 && shorts[1] == '=':
			return 0, fs.set(d, shorts[2:])
		case d.isBool:
			if err := fs.set(d, "true"); err != nil {
				return 0, err
			}
			shorts = shorts[1:]
		case len(shorts) > 1:
			return 0, fs.set(d, shorts[1:])
		case len(rest) > 0:
			return 1, fs.set(d, rest[0])
		default:
			return 0, fmt.Errorf("flag needs an argument: %q in -%s", shorts[0], shorts)
		}
	}
	return 0, nil
}

func (fs *flagSet) set(d *flagDef, value string) error {
	if err := d.value.Set(value); err != nil {
		name := "--" + d.name
		if d.short != "" {
			name = "-" + d.short + ", --" + d.name
		}
		return fmt.Errorf("invalid argument %q for %q flag: %v", value, name, err)
	}
	d.changed = true
	return nil
}

// The value types. Their Set methods parse as pflag does: integers in any
// base Go accepts (0x10), bools as strconv.ParseBool, durations as
// time.ParseDuration.

type boolValue bool

func (b *boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err == nil {
		*b = boolValue(v)
	}
	return err
}
func (b *boolValue) String() string { return strconv.FormatBool(bool(*b)) }

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string     { return string(*s) }

type int64Value int64

func (i *int64Value) Set(s string) error {
	v, err := strconv.ParseInt(s, 0, 64)
	if err == nil {
		*i = int64Value(v)
	}
	return err
}
func (i *int64Value) String() string { return strconv.FormatInt(int64(*i), 10) }

type intValue int

func (i *intValue) Set(s string) error {
	v, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err == nil {
		*i = intValue(v)
	}
	return err
}
func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err == nil {
		*d = durationValue(v)
	}
	return err
}
func (d *durationValue) String() string { return time.Duration(*d).String() }

// stringSliceValue is a comma-separated list. As with pflag, the first use
// on the command line replaces the default and later uses append to it:
// --endpoints=a,b --endpoints=c is a, b, c.
type stringSliceValue struct {
	list    []string
	changed bool
}

func (s *stringSliceValue) Set(v string) error {
	var items []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	if !s.changed {
		s.list = items
	} else {
		s.list = append(s.list, items...)
	}
	s.changed = true
	return nil
}
func (s *stringSliceValue) String() string { return "[" + strings.Join(s.list, ",") + "]" }
