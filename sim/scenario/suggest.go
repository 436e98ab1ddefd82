package scenario

import (
	"fmt"
	"strings"
)

// unknownMsg says that name is not one of valid, and suggests the closest
// valid name within edit distance 2:
//
//	unknown field "cout" in home group; want one of count, devices, ...; did you mean count?
func unknownMsg(what, name, where string, valid []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown %s %q", what, name)
	if where != "" {
		b.WriteString(" " + where)
	}
	valid = unique(valid)
	if len(valid) == 0 {
		fmt.Fprintf(&b, "; none are defined")
		return b.String()
	}
	fmt.Fprintf(&b, "; want one of %s", strings.Join(valid, ", "))
	if s := closest(name, valid); s != "" {
		fmt.Fprintf(&b, "; did you mean %s?", s)
	}
	return b.String()
}

// closest returns the valid name nearest to name if it is at most 2 edits
// away, preferring the first in valid on ties.
func closest(name string, valid []string) string {
	best, bestDist := "", 3
	for _, v := range valid {
		if d := editDistance(name, v); d < bestDist {
			best, bestDist = v, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and swaps of neighbours
// ("ecoh" is 1 from "echo").
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b)) // long names are never typos of short ones
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// unique drops repeated names, keeping the first of each.
func unique(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
