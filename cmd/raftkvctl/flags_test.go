package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testFlags is a flag set like put's and get's, with a global -w.
type testFlags struct {
	fs        *flagSet
	prefix    *bool
	lease     *string
	limit     *int64
	interact  *bool
	listen    *bool
	writeOut  *string
	timeout   *time.Duration
	endpoints *[]string
}

func newTestFlags() *testFlags {
	fs := newFlagSet()
	return &testFlags{
		fs:        fs,
		prefix:    fs.Bool("prefix", "", false, ""),
		lease:     fs.String("lease", "", "0", ""),
		limit:     fs.Int64("limit", "", 0, ""),
		interact:  fs.Bool("interactive", "i", false, ""),
		listen:    fs.Bool("listen", "l", false, ""),
		writeOut:  fs.String("write-out", "w", "simple", ""),
		timeout:   fs.Duration("command-timeout", "", 5*time.Second, ""),
		endpoints: fs.StringSlice("endpoints", "", []string{"127.0.0.1:2379"}, ""),
	}
}

func TestFlagsAsPflagParsesThem(t *testing.T) {
	tests := []struct {
		args   []string
		want   []string // arguments left
		dashAt int
		check  func(f *testFlags) bool
	}{
		{[]string{"put", "foo", "bar", "--lease=1234"}, []string{"put", "foo", "bar"}, -1,
			func(f *testFlags) bool { return *f.lease == "1234" }},
		{[]string{"--lease", "1234", "foo"}, []string{"foo"}, -1,
			func(f *testFlags) bool { return *f.lease == "1234" }},
		{[]string{"foo", "--prefix", "bar"}, []string{"foo", "bar"}, -1,
			func(f *testFlags) bool { return *f.prefix }},
		{[]string{"--prefix=false", "foo"}, []string{"foo"}, -1,
			func(f *testFlags) bool { return !*f.prefix }},
		{[]string{"-w", "json", "get"}, []string{"get"}, -1,
			func(f *testFlags) bool { return *f.writeOut == "json" }},
		{[]string{"-wjson"}, nil, -1, func(f *testFlags) bool { return *f.writeOut == "json" }},
		{[]string{"-w=table"}, nil, -1, func(f *testFlags) bool { return *f.writeOut == "table" }},
		{[]string{"-il", "x"}, []string{"x"}, -1, func(f *testFlags) bool { return *f.interact && *f.listen }},
		{[]string{"-iwjson"}, nil, -1, func(f *testFlags) bool { return *f.interact && *f.writeOut == "json" }},
		{[]string{"--limit", "0x10"}, nil, -1, func(f *testFlags) bool { return *f.limit == 16 }},
		{[]string{"--command-timeout=1m"}, nil, -1, func(f *testFlags) bool { return *f.timeout == time.Minute }},
		{[]string{"--endpoints=a:1, b:2", "--endpoints", "c:3"}, nil, -1,
			func(f *testFlags) bool { return strings.Join(*f.endpoints, " ") == "a:1 b:2 c:3" }},
		{[]string{"put", "--", "key", "-value", "--prefix"}, []string{"put", "key", "-value", "--prefix"}, 1,
			func(f *testFlags) bool { return !*f.prefix }},
		{[]string{"watch", "k", "--prefix", "--", "echo", "-n"}, []string{"watch", "k", "echo", "-n"}, 2,
			func(f *testFlags) bool { return *f.prefix }},
		{[]string{"-", "x"}, []string{"-", "x"}, -1, func(*testFlags) bool { return true }},
	}
	for _, tt := range tests {
		f := newTestFlags()
		got, err := f.fs.Parse(tt.args)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.args, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got.args); diff != "" || got.dashAt != tt.dashAt {
			t.Errorf("Parse(%q): args %q dashAt %d, want %q %d", tt.args, got.args, got.dashAt, tt.want, tt.dashAt)
		}
		if !tt.check(f) {
			t.Errorf("Parse(%q): a flag has the wrong value", tt.args)
		}
	}
}

// The errors are pflag's words, which etcdctl prints after "Error: ".
func TestFlagErrorsArePflags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--foo"}, "unknown flag: --foo"},
		{[]string{"--foo=1"}, "unknown flag: --foo"},
		{[]string{"-x"}, "unknown shorthand flag: 'x' in -x"},
		{[]string{"-ix"}, "unknown shorthand flag: 'x' in -x"},
		{[]string{"put", "k", "-5"}, "unknown shorthand flag: '5' in -5"},
		{[]string{"--lease"}, "flag needs an argument: --lease"},
		{[]string{"-w"}, "flag needs an argument: 'w' in -w"},
		{[]string{"--limit", "abc"}, `invalid argument "abc" for "--limit" flag: strconv.ParseInt: parsing "abc": invalid syntax`},
		{[]string{"--prefix=maybe"}, `invalid argument "maybe" for "--prefix" flag: strconv.ParseBool: parsing "maybe": invalid syntax`},
		{[]string{"--command-timeout=soon"}, `invalid argument "soon" for "--command-timeout" flag: time: invalid duration "soon"`},
		{[]string{"---x"}, "bad flag syntax: ---x"},
	}
	for _, tt := range tests {
		_, err := newTestFlags().fs.Parse(tt.args)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestFlagChangedOnlyFromTheCommandLine(t *testing.T) {
	f := newTestFlags()
	if _, err := f.fs.Parse([]string{"--prefix", "k"}); err != nil {
		t.Fatal(err)
	}
	if !f.fs.Changed("prefix") || f.fs.Changed("lease") || f.fs.Changed("nonexistent") {
		t.Error("Changed reports the wrong flags")
	}
}
