package ui

import (
	"bytes"
	_ "embed"
)

//go:embed render.mjs
var renderJS []byte

//go:embed lanes.mjs
var lanesJS []byte

//go:embed live.html
var liveHTML []byte

//go:embed timeline.html
var timelineHTML []byte

// The pages hold one placeholder each for the renderer, and the timeline one
// for its recorded data, so that every page is a single file.
var (
	renderSlot = []byte("/*RENDER*/")
	lanesSlot  = []byte("/*LANES*/")
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
	page = bytes.Replace(page, lanesSlot, stripExports(lanesJS), 1)
	// </script> inside the data would end the script element early.
	safe := bytes.ReplaceAll(data, []byte("</"), []byte(`<\/`))
	return bytes.Replace(page, dataSlot, safe, 1)
}

// stripExports turns an ES module into a plain script: the pages inline the
// modules into one classic <script> so that they also work from file://
// URLs, where browsers refuse module scripts. Imports go (the modules they
// name are inlined beside), exports become plain declarations.
func stripExports(js []byte) []byte {
	var out bytes.Buffer
	for line := range bytes.Lines(js) {
		switch {
		case bytes.HasPrefix(line, []byte("import ")):
			continue
		case bytes.HasPrefix(line, []byte("export ")):
			line = line[len("export "):]
		}
		out.Write(line)
	}
	return out.Bytes()
}
