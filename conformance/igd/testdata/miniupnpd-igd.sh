#!/bin/sh
# Debian's miniupnpd (package miniupnpd-nftables, 2.3.x, an IGD:2 build) as
# an IGD under test (conformance/igd, exec contract in target_test.go): UPnP
# on, NAT-PMP/PCP off, Debian's defaults otherwise (secure mode: a host maps
# only to itself), no lease file (a restart forgets every mapping, as a
# reboot does). Its nftables chains are made first: the package's
# nft_init.sh needs a helper Debian does not ship. Set MINIUPNPD_V1=yes for
# an IGDv1 description (force_igd_desc_v1).
set -eu
: "${BOXLAB_WAN_IF:?}" "${BOXLAB_LAN_IF:?}" "${BOXLAB_LAN_PREFIX:?}" "${BOXLAB_STATE_DIR:?}"
nft delete table inet filter 2>/dev/null || true
nft -f - <<NFT
table inet filter {
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
NFT
# Let what miniupnpd DNATs through boxlab's forward filter, as a router's
# firewall does for its IGD (OpenWrt fw4: ct status dnat accept). The suite
# does this too; a scenario's gateway_role exec has nobody else to.
nft list chain ip boxlab forward | grep -q 'ct status dnat accept' ||
	nft insert rule ip boxlab forward ct status dnat accept
conf="$BOXLAB_STATE_DIR/miniupnpd.conf"
cat >"$conf" <<CONF
ext_ifname=$BOXLAB_WAN_IF
listening_ip=$BOXLAB_LAN_IF
port=0
enable_upnp=yes
enable_natpmp=no
secure_mode=yes
force_igd_desc_v1=${MINIUPNPD_V1:-no}
system_uptime=yes
notify_interval=60
clean_ruleset_interval=0
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
allow 1024-65535 $BOXLAB_LAN_PREFIX 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
rm -f "$BOXLAB_STATE_DIR/miniupnpd.pid" # left by a killed one, it would refuse to start
exec miniupnpd -f "$conf" -d -P "$BOXLAB_STATE_DIR/miniupnpd.pid"
