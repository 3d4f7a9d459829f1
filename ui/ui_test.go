package ui

import (
	"bytes"
	"testing"
)

// The pages are single files: the renderer is inlined as a classic script,
// with no module syntax left in it, and the data slot is filled.
func TestPagesAreSelfContained(t *testing.T) {
	for name, page := range map[string][]byte{"live": LivePage(), "timeline": TimelinePage([]byte(`{"frames":[],"events":[],"messages":[]}`))} {
		if bytes.Contains(page, []byte("/*RENDER*/")) || bytes.Contains(page, []byte("/*DATA*/")) {
			t.Errorf("%s: a placeholder was not filled", name)
		}
		if bytes.Contains(page, []byte("\nexport ")) || bytes.Contains(page, []byte("\nimport ")) {
			t.Errorf("%s: module syntax left in a classic script", name)
		}
		if !bytes.Contains(page, []byte("function renderCluster")) {
			t.Errorf("%s: the renderer is missing", name)
		}
		if name == "timeline" && !bytes.Contains(page, []byte("function renderLanes")) {
			t.Errorf("%s: the lanes renderer is missing", name)
		}
		for _, ext := range [][]byte{[]byte("src=\"http"), []byte("href=\"http"), []byte("cdn")} {
			if bytes.Contains(page, ext) {
				t.Errorf("%s: refers to an outside resource (%s)", name, ext)
			}
		}
	}
}

// Data that contains "</script>" cannot end the script element early.
func TestTimelineDataCannotCloseTheScript(t *testing.T) {
	page := TimelinePage([]byte(`{"title":"</script><script>alert(1)</script>"}`))
	if bytes.Contains(page, []byte("</script><script>alert(1)")) {
		t.Fatal("data closed the script element")
	}
}
