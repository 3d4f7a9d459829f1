package ui

import (
	"bytes"
	_ "embed"
)

//go:embed render.mjs
var renderJS []byte

//go:embed live.html
var liveHTML []byte

//go:embed timeline.html
var timelineHTML []byte

// The pages hold one placeholder each for the renderer, and the timeline one
// for its recorded data, so that every page is a single file.
var (
	renderSlot = []byte("/*RENDER*/")
	dataSlot   = []byte("/*DATA*/")
)

// LivePage returns the live cluster page with the renderer inlined.
func LivePage() []byte {
	return bytes.Replace(liveHTML, renderSlot, stripExports(renderJS), 1)
}

// TimelinePage returns the timeline page for a recorded run; data is a JSON
// document (see timeline.html for its shape).
func TimelinePage(data []byte) []byte {
	page := bytes.Replace(timelineHTML, renderSlot, stripExports(renderJS), 1)
	// </script> inside the data would end the script element early.
	safe := bytes.ReplaceAll(data, []byte("</"), []byte(`<\/`))
	return bytes.Replace(page, dataSlot, safe, 1)
}

// stripExports turns the ES module into a plain script: the pages inline it
// into a classic <script> so that they also work from file:// URLs, where
// browsers refuse module scripts.
func stripExports(js []byte) []byte {
	return bytes.ReplaceAll(append([]byte("\n"), js...), []byte("\nexport "), []byte("\n"))
}
