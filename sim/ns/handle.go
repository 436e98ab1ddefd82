package ns

import vns "github.com/vishvananda/netns"

func nsHandle(fd int) vns.NsHandle { return vns.NsHandle(fd) }
