package main

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// --feature-gates is etcd's switchboard for features not yet on by default:
// "Name=true,Other=false". raftkv implements one of etcd 3.7's gates,
// InitialCorruptCheck; the others are accepted, so that an etcd command
// line still starts, with a warning that they change nothing here. An
// unknown name is refused, with etcd's words.

// etcdFeatureGates are etcd 3.7's server feature gates, and whether each
// is alpha (AllAlpha=true turns the alpha ones on).
var etcdFeatureGates = map[string]bool{
	"CompactHashCheck":             true,
	"FastLeaseKeepAlive":           false,
	"InitialCorruptCheck":          true,
	"LeaseCheckpoint":              true,
	"LeaseCheckpointPersist":       true,
	"PriorityRequest":              true,
	"SetMemberLocalAddr":           true,
	"StopGRPCServiceOnDefrag":      true,
	"TxnModeWriteWithSharedBuffer": false,
}

// featureGates holds the gates given, by name.
type featureGates map[string]bool

func (f featureGates) String() string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, name+"="+strconv.FormatBool(f[name]))
	}
	return strings.Join(parts, ",")
}

// Set parses "key1=value1,key2=value2" as etcd does (and, as etcd,
// replaces what an earlier --feature-gates said about the same names).
func (f featureGates) Set(value string) error {
	for _, s := range strings.Split(value, ",") {
		if s == "" {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return fmt.Errorf("missing bool value for %s", k)
		}
		v = strings.TrimSpace(v)
		on, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("invalid value of %s=%s, err: %w", k, v, err)
		}
		if _, known := etcdFeatureGates[k]; !known && k != "AllAlpha" && k != "AllBeta" {
			return fmt.Errorf("unrecognized feature gate: %s", k)
		}
		f[k] = on
	}
	return nil
}

// enabled says whether gate name is on: given explicitly, or by AllAlpha
// or AllBeta for a gate of that stage.
func (f featureGates) enabled(name string) bool {
	if on, given := f[name]; given {
		return on
	}
	if etcdFeatureGates[name] {
		return f["AllAlpha"]
	}
	return f["AllBeta"]
}

// ignored lists the gates given that raftkv does not implement.
func (f featureGates) ignored() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(f)) {
		if name != "InitialCorruptCheck" && name != "AllAlpha" && name != "AllBeta" {
			out = append(out, name)
		}
	}
	return out
}
