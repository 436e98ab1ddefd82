// Package ns is boxlab's one wrapper over Linux network namespaces: create one
// (held by a file descriptor, optionally named under /run/netns), run code
// inside it on a locked OS thread, open sockets and netlink handles there,
// start a program there, and reap namespaces a killed run left named.
//
// Nothing else in the tree calls setns. A namespace is unnamed by default, so
// the kernel frees it when the process dies, even on SIGKILL. It never
// changes the root namespace's links, routes or firewall; the only
// root-namespace write is RaiseNeighbourLimits, which logs what it changes.
package ns
