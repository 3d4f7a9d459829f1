package sim

import (
	"encoding/json"
	"slices"
	"testing"
)

// Drawing a run must not change it: the picture reads the members' Debug
// views between events, and a read that moved a member's state (or drew
// from the run's randomness) would make a traced seed replay differently
// from the same seed run without -trace.
func TestMemberSim_RecordingDoesNotChangeTheRun(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		cfg := DefaultMemberConfig(seed)
		cfg.Trace = 2
		plain := RunMember(cfg)
		cfg.Timeline = true
		drawn := RunMember(cfg)
		if plain.Digest != drawn.Digest || !slices.Equal(plain.Trace, drawn.Trace) {
			t.Fatalf("seed %d ran differently with a timeline (digests %x and %x)", seed, plain.Digest, drawn.Digest)
		}
		if plain.Page != nil {
			t.Fatalf("seed %d: a page was drawn though no timeline was asked for", seed)
		}
	}
}

// The page data has what ui/timeline.html draws: frames with every member
// in each, messages, events, and the lanes.
func TestMemberSim_PageHasThePictureAndTheLanes(t *testing.T) {
	cfg := DefaultMemberConfig(3)
	cfg.Timeline = true
	res := RunMember(cfg)
	var page struct {
		Duration int64 `json:"duration"`
		Frames   []struct {
			T       int64 `json:"t"`
			Servers []struct {
				ID, Role string
				Down     bool
			} `json:"servers"`
		} `json:"frames"`
		Messages []json.RawMessage `json:"messages"`
		Events   []json.RawMessage `json:"events"`
		Lanes    *Timeline         `json:"lanes"`
	}
	if err := json.Unmarshal(res.Page, &page); err != nil {
		t.Fatalf("page data is not JSON: %v", err)
	}
	if len(page.Frames) < 10 || len(page.Messages) == 0 || len(page.Events) == 0 || page.Lanes == nil {
		t.Fatalf("page data is missing parts: %d frames, %d messages, %d events, lanes %v",
			len(page.Frames), len(page.Messages), len(page.Events), page.Lanes != nil)
	}
	leaders := 0
	for i, f := range page.Frames {
		if len(f.Servers) != cfg.Members {
			t.Fatalf("frame %d has %d servers, want %d", i, len(f.Servers), cfg.Members)
		}
		if i > 0 && f.T < page.Frames[i-1].T {
			t.Fatalf("frame %d goes back in time (%d after %d)", i, f.T, page.Frames[i-1].T)
		}
		for _, s := range f.Servers {
			if s.Role == "leader" {
				leaders++
			}
		}
	}
	if leaders == 0 {
		t.Fatal("no frame shows a leader")
	}
	if last := page.Frames[len(page.Frames)-1].T; last > page.Duration {
		t.Fatalf("a frame at %d ms is after the run's end at %d ms", last, page.Duration)
	}
}
