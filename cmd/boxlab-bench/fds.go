package main

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// fdKinds counts this process's open descriptors by kind: network
// namespaces, sockets by family, type and role (a TCP listener, the server
// or the client end of a connection, a UDP socket on a fixed or an
// ephemeral port, netlink by protocol), pipes, epoll and files. It answers
// "where do the descriptors of a load run go" (RLIMIT_NOFILE is a hard
// ceiling where it cannot be raised).
func fdKinds() map[string]int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	out := map[string]int{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		out[fdKind(fd, link)]++
	}
	return out
}

func fdKind(fd int, link string) string {
	switch {
	case strings.HasPrefix(link, "net:"):
		return "netns"
	case strings.HasPrefix(link, "pipe:"):
		return "pipe"
	case strings.HasPrefix(link, "anon_inode:"):
		return strings.Trim(strings.TrimPrefix(link, "anon_inode:"), "[]")
	case !strings.HasPrefix(link, "socket:"):
		return "file"
	}
	dom, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	typ, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	proto, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	switch dom {
	case unix.AF_NETLINK:
		return "netlink proto " + strconv.Itoa(proto)
	case unix.AF_UNIX:
		return "unix"
	case unix.AF_PACKET:
		return "packet"
	case unix.AF_INET, unix.AF_INET6:
	default:
		return "socket family " + strconv.Itoa(dom)
	}
	local := sockPort(unix.Getsockname(fd))
	switch typ {
	case unix.SOCK_STREAM:
		if v, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); v == 1 {
			return fmt.Sprintf("tcp listen :%d", local)
		}
		peer := sockPort(unix.Getpeername(fd))
		if peer < 0 {
			return "tcp unconnected"
		}
		if local < 32768 {
			return fmt.Sprintf("tcp server end :%d", local)
		}
		return fmt.Sprintf("tcp client end -> :%d", peer)
	case unix.SOCK_DGRAM:
		if local >= 32768 {
			return "udp ephemeral port"
		}
		return fmt.Sprintf("udp :%d", local)
	case unix.SOCK_RAW:
		return "raw proto " + strconv.Itoa(proto)
	}
	return fmt.Sprintf("inet type %d", typ)
}

func sockPort(sa unix.Sockaddr, err error) int {
	if err != nil {
		return -1
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port
	case *unix.SockaddrInet6:
		return a.Port
	}
	return -1
}

// printKinds prints kinds largest first, with their share of boxes.
func printKinds(kinds map[string]int, boxes int) {
	type kv struct {
		k string
		n int
	}
	var list []kv
	for k, n := range kinds {
		list = append(list, kv{k, n})
	}
	slices.SortFunc(list, func(a, b kv) int { return cmp.Or(b.n-a.n, strings.Compare(a.k, b.k)) })
	for _, e := range list {
		fmt.Printf("    %-36s %7d  %5.2f a box\n", e.k, e.n, float64(e.n)/float64(boxes))
	}
}
