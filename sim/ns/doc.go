// Package ns is boxlab's one wrapper over Linux network namespaces: create one
// (held by a file descriptor, optionally named under /run/netns), run code
// inside it on a locked OS thread, open sockets and netlink handles there,
// start a program there, and reap namespaces a killed run left named.
//
// Nothing else in the tree calls setns. A namespace is unnamed by default, so
// the kernel frees it when the process dies, even on SIGKILL. When a run has
// more namespaces than RLIMIT_NOFILE leaves room for, a Holder keeps their
// descriptors in helper processes (this program re-executed) that die with
// it; this process copies one back with pidfd_getfd only to enter it. It
// never changes the root namespace's links, routes or firewall; the only
// root-namespace writes are RaiseNeighbourLimits and RaiseNetdevBacklog,
// which log what they change.
//
// It does not hold namespaces any other way (bind mounts outlive a killed
// process; one thread per namespace would cost thousands of threads).
package ns
