package limits

import (
	"net"
	"net/netip"
)

// AddrKey is the key under which a remote address is counted: its IP
// address without the port, since every new connection has a new port.
// An IPv6 address is taken as its /64 network, the smallest block an ISP
// hands a customer (RFC 6177): one host can otherwise choose among 2^64
// addresses and would never reach a per-address limit. IPv4-mapped IPv6
// addresses count as their IPv4 address. A Unix-socket peer (an MTA on this
// machine) and anything else without an IP share the key "local".
func AddrKey(a net.Addr) string {
	var ip netip.Addr
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.UDPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		if a != nil {
			if ap, err := netip.ParseAddrPort(a.String()); err == nil {
				ip = ap.Addr()
			}
		}
	}
	if !ip.IsValid() {
		return "local"
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.WithZone("").Prefix(64)
		return p.String()
	}
	return ip.String()
}
