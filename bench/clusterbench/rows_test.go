package main

import (
	"slices"
	"testing"
)

func TestSelectRows_GroupsAndIDsInTheBaselinesOrder(t *testing.T) {
	for spec, want := range map[string][]string{
		"all":                          rowIDs(),
		"http":                         {"http-put-c1", "http-put-c16", "http-put-c128", "http-range-l", "http-range-s"},
		"GRPC":                         {"grpc-put-c1", "grpc-put-c16", "grpc-put-c128", "grpc-range-l", "grpc-range-s"},
		"http-range-s, grpc-put-c1":    {"grpc-put-c1", "http-range-s"},
		"grpc-put-c1,grpc,http-put-c1": {"grpc-put-c1", "grpc-put-c16", "grpc-put-c128", "grpc-range-l", "grpc-range-s", "http-put-c1"},
	} {
		rows, err := selectRows(spec)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.id)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %v, want %v", spec, got, want)
		}
	}
}

func TestSelectRows_UnknownRowIsAnError(t *testing.T) {
	for _, spec := range []string{"grpc-put-c2", "", "http,"} {
		if _, err := selectRows(spec); err == nil {
			t.Errorf("%q: no error", spec)
		}
	}
}
