package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// writeHelp prints a command's help in etcdctl's layout (NAME, USAGE,
// DESCRIPTION, COMMANDS, OPTIONS, GLOBAL OPTIONS), with an EXAMPLES section
// that etcdctl lacks: every command shows at least one use.
func writeHelp(w io.Writer, c *command, global *flagSet) error {
	local := newFlagSet()
	if c.setup != nil {
		c.setup(local)
	}
	local.Bool("help", "h", false, "help for "+c.name)

	tw := tabwriter.NewWriter(w, 0, 8, 1, '\t', 0)
	fmt.Fprintf(tw, "NAME:\n\t%s - %s\n\n", c.path(), c.short)
	usage := c.path()
	if c.args != "" {
		usage += " " + c.args
	} else if len(c.subs) > 0 {
		usage += " <command>"
	}
	fmt.Fprintf(tw, "USAGE:\n\t%s\n\n", usage)
	if c.parent == nil {
		fmt.Fprintf(tw, "VERSION:\n\t%s\n\nAPI VERSION:\n\t%s\n\n", version, apiVersion)
	}
	if len(c.subs) > 0 {
		fmt.Fprintln(tw, "COMMANDS:")
		listCommands(tw, c, "")
		fmt.Fprintln(tw)
	}
	section(tw, "DESCRIPTION", c.long)
	section(tw, "EXAMPLES", c.example)
	if c.parent == nil {
		// The root's own options are the global ones.
		local.merge(global)
		fmt.Fprintf(tw, "OPTIONS:\n%s\n", flagUsages(local))
	} else {
		fmt.Fprintf(tw, "OPTIONS:\n%s\n", flagUsages(local))
		fmt.Fprintf(tw, "GLOBAL OPTIONS:\n%s", flagUsages(global))
	}
	return tw.Flush()
}

// listCommands lists the runnable commands under c, groups expanded:
// "lease grant", "lease revoke"... as etcdctl's help does.
func listCommands(w io.Writer, c *command, prefix string) {
	for _, s := range c.subs {
		if s.setup != nil {
			fmt.Fprintf(w, "\t%s%s\t%s\n", prefix, s.name, s.short)
		}
		listCommands(w, s, prefix+s.name+" ")
	}
}

func section(w io.Writer, title, text string) {
	if text = strings.Trim(text, "\n\t "); text == "" {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(w, "\t%s\n", line)
	}
	fmt.Fprintln(w)
}

// flagUsages lists flags as etcdctl's help does:
//
//	-w, --write-out="simple"	set the output format (fields, json, simple, table)
//	    --prefix[=false]		get keys with matching prefix
func flagUsages(fs *flagSet) string {
	var b strings.Builder
	for _, d := range fs.sorted() {
		if d.short != "" {
			fmt.Fprintf(&b, "  -%s, --%s", d.short, d.name)
		} else {
			fmt.Fprintf(&b, "      --%s", d.name)
		}
		switch {
		case d.isBool:
			fmt.Fprintf(&b, "[=%s]", d.defValue)
		case d.quoted:
			fmt.Fprintf(&b, "=%q", d.defValue)
		default:
			fmt.Fprintf(&b, "=%s", d.defValue)
		}
		fmt.Fprintf(&b, "\t%s\n", d.usage)
	}
	return b.String()
}
