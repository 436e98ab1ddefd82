#!/bin/sh
# A home router's NAT as a vendor firmware script sets it up: forwarding on,
# nftables masquerade out of the WAN, a forward filter that admits from the
# WAN only replies to what the LAN started. boxlab runs it in the gateway
# namespace (profile external) with BOXLAB_WAN, BOXLAB_LAN, ... in the
# environment. Where BOXLAB_SPEED is set, the conntrack timeouts (kernel
# defaults) are divided by it, as a firmware with configurable timers would
# be told to; without it they stay real-time. /proc/sys/net is the
# namespace's own, so nothing outside the gateway changes.
set -eu
: "${BOXLAB_WAN:?}" "${BOXLAB_LAN:?}"
speed=${BOXLAB_SPEED:-1}

echo 1 >/proc/sys/net/ipv4/ip_forward
for t in udp_timeout=30 udp_timeout_stream=120 tcp_timeout_established=432000 \
	tcp_timeout_syn_sent=120 icmp_timeout=30; do
	key=${t%%=*} def=${t#*=}
	val=$(awk -v d="$def" -v s="$speed" 'BEGIN { v = int(d / s + 0.5); if (v < 1) v = 1; print v }')
	echo "$val" >"/proc/sys/net/netfilter/nf_conntrack_$key"
done

nft -f - <<NFT
table ip vendor_nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$BOXLAB_WAN" masquerade
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "$BOXLAB_WAN" ct state established,related accept
		iifname "$BOXLAB_WAN" drop
	}
}
NFT
