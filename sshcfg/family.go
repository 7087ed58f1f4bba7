package sshcfg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Families are the values of mosh's --family (scripts/mosh.pl in mosh
// 1.4), which choose among a host's addresses:
//
//	inet, inet6     only IPv4 (IPv6) addresses, as ssh -4 (-6)
//	auto            the host's addresses, refused if it has both families
//	all             every address, in the resolver's order
//	prefer-inet     every address, IPv4 ones first (mosh's default)
//	prefer-inet6    every address, IPv6 ones first
var Families = []string{"inet", "inet6", "auto", "all", "prefer-inet", "prefer-inet6"}

// ErrBothFamilies is --family=auto's refusal of a host with IPv4 and IPv6
// addresses.
var ErrBothFamilies = errors.New("host has both IPv4 and IPv6 addresses: choose one with --family (inet, inet6, prefer-inet or prefer-inet6)")

// orderAddrs filters and orders a host's addresses for family. The relative
// order within a family is the resolver's.
func orderAddrs(ips []net.IP, family string) ([]net.IP, error) {
	var v4, v6 []net.IP
	for _, ip := range ips {
		if ip.To4() != nil {
			v4 = append(v4, ip)
		} else {
			v6 = append(v6, ip)
		}
	}
	var out []net.IP
	switch family {
	case "inet":
		out = v4
	case "inet6":
		out = v6
	case "auto":
		if len(v4) > 0 && len(v6) > 0 {
			return nil, ErrBothFamilies
		}
		out = ips
	case "prefer-inet":
		out = append(v4, v6...)
	case "prefer-inet6":
		out = append(v6, v4...)
	case "all", "":
		out = ips
	default:
		return nil, fmt.Errorf("unknown address family %q: use one of inet, inet6, auto, all, prefer-inet, prefer-inet6", family)
	}
	if len(out) == 0 {
		what := map[string]string{"inet": "IPv4 ", "inet6": "IPv6 "}[family]
		return nil, fmt.Errorf("no %saddress (asked by --family=%s or AddressFamily): choose another family", what, family)
	}
	return out, nil
}

// familyOf is the --family that applies to c: Family, else AddressFamily's
// inet or inet6, else "" (any address, Go's dialer chooses).
func familyOf(c *Config) string {
	if c.Family != "" {
		return c.Family
	}
	if c.AddressFamily == "inet" || c.AddressFamily == "inet6" {
		return c.AddressFamily
	}
	return ""
}

// lookupFamily returns host's addresses ordered for family: a literal
// address as it is (if of the family), else the resolver's answer.
func lookupFamily(ctx context.Context, host, family string) ([]net.IP, error) {
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		var err error
		if ips, err = net.DefaultResolver.LookupIP(ctx, "ip", host); err != nil {
			return nil, err
		}
	}
	return orderAddrs(ips, family)
}

// dialFamily connects to port on the first of addrs that answers, one after
// the other as ssh does; the error is the last one.
func dialFamily(ctx context.Context, addrs []net.IP, port int) (net.Conn, error) {
	var d net.Dialer
	err := errors.New("no address")
	for _, ip := range addrs {
		var nc net.Conn
		nc, err = d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
		if err == nil {
			return nc, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}
