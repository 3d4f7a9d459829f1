package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/raftkv/raftkv/server"
)

// printStatus prints a backup's status in etcdutl's formats (etcdutl's
// VERSION column is the storage version; raftkv's is the version reading it).
func printStatus(w io.Writer, format string, st server.SnapshotStatus) {
	row := []string{fmt.Sprintf("%x", st.Hash), fmt.Sprint(st.Revision), fmt.Sprint(st.TotalKeys), humanBytes(st.TotalSize), server.Version}
	switch format {
	case "json":
		fmt.Fprintf(w, `{"hash":%d,"revision":%d,"totalKey":%d,"totalSize":%d,"version":%q}`+"\n", st.Hash, st.Revision, st.TotalKeys, st.TotalSize, server.Version)
	case "table":
		printTable(w, []string{"HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE", "VERSION"}, row)
	default:
		fmt.Fprintln(w, strings.Join(row, ", "))
	}
}

// printTable draws one row under a header with box-drawing lines.
func printTable(w io.Writer, header, row []string) {
	widths := make([]int, len(header))
	for i := range header {
		widths[i] = max(len(header[i]), len(row[i])) + 2
	}
	line := func(l, m, r string) string {
		var b strings.Builder
		b.WriteString(l)
		for i, n := range widths {
			if i > 0 {
				b.WriteString(m)
			}
			b.WriteString(strings.Repeat("─", n))
		}
		return b.String() + r + "\n"
	}
	// Headers centred, values right-aligned, as etcdctl's tables.
	cells := func(vals []string, centre bool) string {
		var b strings.Builder
		b.WriteString("│")
		for i, v := range vals {
			pad := widths[i] - len(v)
			left := pad - 1
			if centre {
				left = pad - pad/2
			}
			b.WriteString(strings.Repeat(" ", left) + v + strings.Repeat(" ", pad-left) + "│")
		}
		return b.String() + "\n"
	}
	fmt.Fprint(w, line("┌", "┬", "┐")+cells(header, true)+line("├", "┼", "┤")+cells(row, false)+line("└", "┴", "┘"))
}

// humanBytes is humanize.Bytes, as etcdutl prints sizes: SI units, "25 kB".
func humanBytes(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"kB", "MB", "GB", "TB"}
	v, u := float64(n)/1000, 0
	for v >= 1000 && u < len(units)-1 {
		v, u = v/1000, u+1
	}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[u])
	}
	return fmt.Sprintf("%.0f %s", v, units[u])
}
