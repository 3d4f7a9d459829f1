package main

import (
	"bufio"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArgify(t *testing.T) {
	tests := map[string][]string{
		`put key value`:                {"put", "key", "value"},
		`  put  key   value  `:         {"put", "key", "value"},
		`put key "hello world"`:        {"put", "key", "hello world"},
		`put key 'it''s'`:              {"put", "key", "it", "s"},
		`put key "a\tb\"c"`:            {"put", "key", "a\tb\"c"},
		`put 'a key' '\n stays'`:       {"put", "a key", `\n stays`},
		`watch foo --prefix -- echo x`: {"watch", "foo", "--prefix", "--", "echo", "x"},
		``:                             nil,
	}
	for line, want := range tests {
		got, err := argify(line)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("argify(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	for _, bad := range []string{`put "open`, `put 'open`, `put "bad \q escape"`} {
		if _, err := argify(bad); err == nil {
			t.Errorf("argify(%q): no error", bad)
		}
	}
}

func TestParseCompare(t *testing.T) {
	good := []string{
		`value("user1") = "bad"`,
		`val("k") != "v w"`,
		`version("k") > "0"`,
		`ver("k") < "10"`,
		`create("lock") = "0"`,
		`c("k") = "3"`,
		`mod("user1") > "0"`,
		`m("k") = "7"`,
		`lease("k") = "694d77aa9e38260f"`,
	}
	for _, line := range good {
		if _, err := parseCompare(line); err != nil {
			t.Errorf("parseCompare(%q): %v", line, err)
		}
	}
	bad := map[string]string{
		`value "user1" = "bad"`:    "malformed comparison: value \"user1\" = \"bad\"",
		`value("user1") = bad`:     "malformed comparison: value(\"user1\") = bad",
		`size("k") = "1"`:          "malformed comparison: size(\"k\") = \"1\" (unknown target size)",
		`version("k") >= "1"`:      "malformed comparison: version(\"k\") >= \"1\" (unknown operator >=)",
		`version("k") = "one"`:     "invalid txn compare request: version(\"k\") = \"one\"",
		`lease("k") = "not-a-hex"`: "invalid txn compare request: lease(\"k\") = \"not-a-hex\"",
	}
	for line, want := range bad {
		_, err := parseCompare(line)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("parseCompare(%q) = %v, want %q", line, err, want)
		}
	}
}

func TestParseRequest(t *testing.T) {
	for _, line := range []string{"put k v", "put k v --prev-kv", `put k "two words"`, "get k", "get k --prefix --limit=2", "del k --prefix", "del a b"} {
		if _, err := parseRequest(line); err != nil {
			t.Errorf("parseRequest(%q): %v", line, err)
		}
	}
	bad := map[string]int{
		"put":              exitInvalidInput, // too short
		"frob k":           exitInvalidInput,
		"put k v --nope":   exitInvalidInput,
		"put k":            exitBadArgs, // no value: stdin is the txn itself
		"put k v --ttl 5":  exitBadArgs,
		"get k --prefix b": exitBadArgs,
	}
	for line, code := range bad {
		_, err := parseRequest(line)
		if err == nil || exitCode(err) != code {
			t.Errorf("parseRequest(%q) = %v (exit %d), want exit %d", line, err, exitCode(err), code)
		}
	}
}

// A block must end with an empty line: etcdctl fails with EOF, exit 3.
func TestTxnInputMustEndWithAnEmptyLine(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("value(\"k\") = \"v\"\n"))
	_, err := readCompares(r)
	if err == nil || err.Error() != "EOF" || exitCode(err) != exitInvalidInput {
		t.Errorf("readCompares at EOF: %v (exit %d)", err, exitCode(err))
	}
}
