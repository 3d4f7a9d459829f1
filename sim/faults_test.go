package sim

import (
	"strings"
	"testing"
)

// Each fault name ParseFaults accepts switches on one fault of its own, the
// names together switch on all of them, and the error for an unknown name
// lists them: the list that raftsim's -h and errors print (FaultNames)
// cannot drift from what parses.
func TestParseFaults_NamesMatchFaultSet(t *testing.T) {
	names := strings.Split(FaultNames(), ",")
	seen := map[FaultSet]string{}
	for _, name := range names {
		fs, err := ParseFaults(name)
		if err != nil {
			t.Fatalf("ParseFaults(%q): %v", name, err)
		}
		if fs == (FaultSet{}) || fs == AllFaults {
			t.Errorf("fault %q switches on %+v: want one fault", name, fs)
		}
		if other, dup := seen[fs]; dup {
			t.Errorf("faults %q and %q switch on the same thing", other, name)
		}
		seen[fs] = name
	}
	if all, err := ParseFaults(FaultNames()); err != nil || all != AllFaults {
		t.Errorf("ParseFaults(%q) = %+v, %v; want all faults: a fault has no name", FaultNames(), all, err)
	}
	_, err := ParseFaults("drop,lightning")
	if err == nil || !strings.Contains(err.Error(), `"lightning"`) || !strings.Contains(err.Error(), FaultNames()) {
		t.Errorf("unknown fault: error %v should name it and list %s", err, FaultNames())
	}
}
