// Package reports is the data model of one boxlab run's results and the three
// files written from it: report.json (the model itself, for tools),
// junit.xml (one test case per assertion, for CI servers such as Jenkins and
// GitLab) and report.html (a self-contained page for people).
//
// The runner fills in a [Run] after the scenario has finished (or failed to
// start) and calls [WriteAll]; [WriteJSON], [WriteJUnit] and [WriteHTML] write
// one format each to any io.Writer.
//
// What it deliberately does not do: it evaluates nothing (assertions arrive
// already judged, metrics already summarised), reads nothing back except
// through encoding/json, and the HTML page loads nothing: inline CSS only, no
// scripts, fonts or images from anywhere, so it opens the same from a CI
// artefact store, an e-mail attachment or a laptop without a network. The
// page has an empty <section id="charts"> reserved for metric charts; until
// they exist, metrics are shown as a table only.
package reports
