package main

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/raftkv/raftkv/client"
)

// tablePrinter is -w table: the member and endpoint answers as the boxes
// etcdctl draws with tablewriter. Other answers are not tables in etcdctl
// either (its error, exit code 4, comes from the embedded unsupported).
type tablePrinter struct {
	unsupported
	w io.Writer
}

func (p *tablePrinter) MemberList(r *client.MemberListResponse) error {
	hdr, rows := memberListTable(r)
	return writeTable(p.w, hdr, rows)
}

func (p *tablePrinter) EndpointHealth(hs []epHealth) error {
	hdr, rows := endpointHealthTable(hs)
	return writeTable(p.w, hdr, rows)
}

func (p *tablePrinter) EndpointStatus(ss []epStatus) error {
	hdr, rows := endpointStatusTable(ss)
	return writeTable(p.w, hdr, rows)
}

func (p *tablePrinter) EndpointHashKV(hs []epHashKV) error {
	hdr, rows := endpointHashKVTable(hs)
	return writeTable(p.w, hdr, rows)
}

// writeTable draws tablewriter's default box: upper-case headers centred
// (an odd space goes to the right), cells aligned right, one space of
// padding on each side.
//
//	┌────┬─────────┐
//	│ ID │ STATUS  │
//	├────┼─────────┤
//	│ 1a │ started │
//	└────┴─────────┘
func writeTable(w io.Writer, hdr []string, rows [][]string) error {
	width := make([]int, len(hdr))
	titles := make([]string, len(hdr))
	for i, h := range hdr {
		titles[i] = strings.ToUpper(h)
		width[i] = utf8.RuneCountInString(titles[i])
	}
	for _, row := range rows {
		for i := range width {
			if i < len(row) {
				width[i] = max(width[i], utf8.RuneCountInString(row[i]))
			}
		}
	}
	var b strings.Builder
	rule := func(left, mid, right string) {
		b.WriteString(left)
		for i, wd := range width {
			if i > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat("─", wd+2))
		}
		b.WriteString(right + "\n")
	}
	line := func(cells []string, align func(s string, wd int) string) {
		b.WriteString("│")
		for i, wd := range width {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			b.WriteString(" " + align(cell, wd) + " │")
		}
		b.WriteString("\n")
	}
	rule("┌", "┬", "┐")
	line(titles, center)
	rule("├", "┼", "┤")
	for _, row := range rows {
		line(row, right)
	}
	rule("└", "┴", "┘")
	_, err := io.WriteString(w, b.String())
	return err
}

func center(s string, wd int) string {
	pad := wd - utf8.RuneCountInString(s)
	left := pad / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", pad-left)
}

func right(s string, wd int) string {
	return strings.Repeat(" ", wd-utf8.RuneCountInString(s)) + s
}
