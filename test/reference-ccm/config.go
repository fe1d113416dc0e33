package main

// The anchor cloud's config: the same JSON document as Outrigger's fake provider
// (src/providers/fake/fake-config.ts), refused where that parser refuses it, naming the same
// field path (`instances[1].zone`). Messages are shaped alike; the field path is the contract.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"regexp"
	"sort"
	"strings"

	v1 "k8s.io/api/core/v1"
)

type configError struct{ field, detail string }

func (e *configError) Error() string {
	if e.field == "" {
		return "invalid fake cloud config: " + e.detail
	}
	return "invalid fake cloud config: " + e.field + ": " + e.detail
}

type instanceSpec struct {
	nodeName, providerID, instanceID string
	hasNodeName, hasProviderID       bool
	exists, shutdown                 bool
	instanceType                     string
	zone, region                     *string
	addresses                        []v1.NodeAddress
	labels                           map[string]string
}

type failureRule struct {
	method, kind, message string
	retryAfterMs          int64
	times                 int64 // 0: every call
}

type anchorConfig struct {
	capabilities   map[string]bool
	hasClusterID   bool
	defaultZone    [2]string // failureDomain, region
	clusters       map[string]string
	instances      []instanceSpec
	ipRange        netip.Prefix
	ipMode         string
	statuses       map[string]v1.LoadBalancerStatus
	routeAddresses bool
	failures       []failureRule
	latencyMs      map[string]int64
}

var (
	allCapabilities = []string{"loadBalancer", "instances", "instancesV2", "zones", "clusters", "routes"}
	allMethods      = []string{"initialize", "setInformers", "getLoadBalancer", "getLoadBalancerName", "ensureLoadBalancer", "updateLoadBalancer",
		"ensureLoadBalancerDeleted", "nodeAddresses", "nodeAddressesByProviderID", "instanceID", "instanceType", "instanceTypeByProviderID",
		"addSSHKeyToAllInstances", "currentNodeName", "instanceExistsByProviderID", "instanceShutdownByProviderID", "instanceExists",
		"instanceShutdown", "instanceMetadata", "getZone", "getZoneByProviderID", "getZoneByNodeName", "listClusters", "master",
		"listRoutes", "createRoute", "deleteRoute"}
	failureKinds = []string{"Error", "InstanceNotFound", "NotImplemented", "ImplementedElsewhere", "Retry"}
	identifier   = regexp.MustCompile(`^[A-Za-z_$][\w$]*$`)
)

func member(path, key string) string {
	if identifier.MatchString(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	b, _ := json.Marshal(key)
	return path + "[" + string(b) + "]"
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func fail(path, format string, args ...any) { panic(&configError{path, fmt.Sprintf(format, args...)}) }

func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("%v", t)
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func object(v any, path string, allowed ...string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		fail(path, "expected a JSON object, got %s", describe(v))
	}
	if allowed != nil {
		for _, k := range sortedKeys(m) {
			if !contains(allowed, k) {
				fail(member(path, k), "unknown field (expected one of: %s)", strings.Join(allowed, ", "))
			}
		}
	}
	return m
}

func array(v any, path string) []any {
	a, ok := v.([]any)
	if !ok {
		fail(path, "expected an array, got %s", describe(v))
	}
	return a
}

func str(v any, path string, nonEmpty bool) string {
	s, ok := v.(string)
	if !ok {
		fail(path, "expected a string, got %s", describe(v))
	}
	if nonEmpty && s == "" {
		fail(path, "must not be empty")
	}
	return s
}

func boolean(v any, path string) bool {
	b, ok := v.(bool)
	if !ok {
		fail(path, "expected true or false, got %s", describe(v))
	}
	return b
}

func integer(v any, path string, min int64, max int64) int64 {
	n, ok := v.(json.Number)
	if ok {
		if i, err := n.Int64(); err == nil && i >= min && i <= max && !strings.ContainsAny(n.String(), ".eE") {
			return i
		}
	}
	fail(path, "expected an integer from %d, got %v", min, v)
	return 0
}

func oneOf(v any, path string, allowed []string) string {
	s, ok := v.(string)
	if !ok || !contains(allowed, s) {
		fail(path, "expected one of %s, got %v", strings.Join(allowed, ", "), v)
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const maxSafe = 1<<53 - 1

// parseConfig parses the fake provider's JSON config; empty text means all defaults.
func parseConfig(text []byte) (cfg *anchorConfig, err error) {
	cfg = &anchorConfig{capabilities: map[string]bool{}, hasClusterID: true, clusters: map[string]string{}, statuses: map[string]v1.LoadBalancerStatus{}, latencyMs: map[string]int64{}}
	for _, c := range allCapabilities {
		cfg.capabilities[c] = true
	}
	cfg.ipRange = netip.MustParsePrefix("192.0.2.0/24")
	if len(bytes.TrimSpace(text)) == 0 {
		return cfg, nil
	}
	defer func() {
		if r := recover(); r != nil {
			ce, ok := r.(*configError)
			if !ok {
				panic(r)
			}
			cfg, err = nil, ce
		}
	}()
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var doc any
	if e := dec.Decode(&doc); e != nil {
		fail("", "not valid JSON: %v", e)
	}
	root := object(doc, "", "capabilities", "hasClusterID", "defaultZone", "clusters", "instances", "loadBalancerIPRange", "loadBalancerIPMode",
		"loadBalancerStatuses", "routeNodeAddresses", "failures", "latencyMs", "callHistoryLimit")
	if v, ok := root["capabilities"]; ok {
		cfg.capabilities = map[string]bool{}
		for i, item := range array(v, "capabilities") {
			c := oneOf(item, index("capabilities", i), allCapabilities)
			if cfg.capabilities[c] {
				fail(index("capabilities", i), "%q is listed twice", c)
			}
			cfg.capabilities[c] = true
		}
	}
	if v, ok := root["hasClusterID"]; ok {
		cfg.hasClusterID = boolean(v, "hasClusterID")
	}
	if v, ok := root["defaultZone"]; ok {
		z := object(v, "defaultZone", "failureDomain", "region")
		if f, ok := z["failureDomain"]; ok {
			cfg.defaultZone[0] = str(f, "defaultZone.failureDomain", false)
		}
		if r, ok := z["region"]; ok {
			cfg.defaultZone[1] = str(r, "defaultZone.region", false)
		}
	}
	if v, ok := root["clusters"]; ok {
		for k, addr := range object(v, "clusters") {
			cfg.clusters[k] = str(addr, member("clusters", k), true)
		}
	}
	if v, ok := root["instances"]; ok {
		for i, item := range array(v, "instances") {
			cfg.instances = append(cfg.instances, parseInstance(item, index("instances", i)))
		}
	}
	if v, ok := root["loadBalancerIPRange"]; ok {
		text := str(v, "loadBalancerIPRange", true)
		p, e := netip.ParsePrefix(text)
		if e != nil {
			fail("loadBalancerIPRange", "%q is not a CIDR range: %v", text, e)
		}
		if p.Masked() != p {
			fail("loadBalancerIPRange", "%q is not a CIDR range: host bits are set (did you mean %s?)", text, p.Masked())
		}
		cfg.ipRange = p
	}
	if v, ok := root["loadBalancerIPMode"]; ok {
		cfg.ipMode = oneOf(v, "loadBalancerIPMode", []string{"VIP", "Proxy"})
	}
	if v, ok := root["loadBalancerStatuses"]; ok {
		for _, key := range sortedKeys(object(v, "loadBalancerStatuses")) {
			path := member("loadBalancerStatuses", key)
			slash := strings.Index(key, "/")
			if slash <= 0 || slash == len(key)-1 || strings.Count(key, "/") != 1 {
				fail(path, "expected a service key of the form \"namespace/name\"")
			}
			cfg.statuses[key] = parseStatus(v.(map[string]any)[key], path)
		}
	}
	if v, ok := root["routeNodeAddresses"]; ok {
		cfg.routeAddresses = boolean(v, "routeNodeAddresses")
	}
	if v, ok := root["failures"]; ok {
		for i, item := range array(v, "failures") {
			cfg.failures = append(cfg.failures, parseFailure(item, index("failures", i)))
		}
	}
	if v, ok := root["latencyMs"]; ok {
		for k, ms := range object(v, "latencyMs") {
			if k != "*" && !contains(allMethods, k) {
				fail(member("latencyMs", k), "expected \"*\" or a provider method name (%s), got %q", strings.Join(allMethods, ", "), k)
			}
			if k == "setInformers" {
				fail(member("latencyMs", k), "setInformers is synchronous and cannot be delayed")
			}
			cfg.latencyMs[k] = integer(ms, member("latencyMs", k), 0, maxSafe)
		}
	}
	if v, ok := root["callHistoryLimit"]; ok {
		integer(v, "callHistoryLimit", 0, maxSafe) // accepted for compatibility: the log on disk keeps every call
	}
	// As the fake: two entries naming one instance are a mistake, not a replacement — by node
	// name, by explicit providerID, and (as the fake's constructor) by derived providerID.
	names, ids, derived := map[string]int{}, map[string]int{}, map[string]int{}
	for i, spec := range cfg.instances {
		if j, ok := names[spec.nodeName]; ok && spec.hasNodeName {
			fail(index("instances", i), "names the same instance as instances[%d] (node name %q)", j, spec.nodeName)
		}
		if j, ok := ids[spec.providerID]; ok && spec.providerID != "" {
			fail(index("instances", i), "names the same instance as instances[%d] (providerID %q)", j, spec.providerID)
		}
		if _, ok := derived[effectiveProviderID(spec)]; ok {
			fail(index("instances", i), "names the same instance as an earlier entry")
		}
		if spec.hasNodeName {
			names[spec.nodeName] = i
		}
		if spec.providerID != "" {
			ids[spec.providerID] = i
		}
		derived[effectiveProviderID(spec)] = i
	}
	return cfg, nil
}

func parseInstance(v any, path string) instanceSpec {
	m := object(v, path, "nodeName", "providerID", "instanceID", "exists", "shutdown", "instanceType", "zone", "region", "addresses", "additionalLabels")
	s := instanceSpec{exists: true, labels: map[string]string{}}
	if x, ok := m["nodeName"]; ok {
		s.nodeName, s.hasNodeName = str(x, member(path, "nodeName"), true), true
	}
	if x, ok := m["providerID"]; ok {
		s.providerID, s.hasProviderID = str(x, member(path, "providerID"), false), true
	}
	if x, ok := m["instanceID"]; ok {
		s.instanceID = str(x, member(path, "instanceID"), true)
	}
	if x, ok := m["exists"]; ok {
		s.exists = boolean(x, member(path, "exists"))
	}
	if x, ok := m["shutdown"]; ok {
		s.shutdown = boolean(x, member(path, "shutdown"))
	}
	if x, ok := m["instanceType"]; ok {
		s.instanceType = str(x, member(path, "instanceType"), false)
	}
	if x, ok := m["zone"]; ok {
		z := str(x, member(path, "zone"), false)
		s.zone = &z
	}
	if x, ok := m["region"]; ok {
		r := str(x, member(path, "region"), false)
		s.region = &r
	}
	if x, ok := m["addresses"]; ok {
		for i, a := range array(x, member(path, "addresses")) {
			ap := index(member(path, "addresses"), i)
			am := object(a, ap, "type", "address")
			t := oneOf(am["type"], member(ap, "type"), []string{"Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"})
			s.addresses = append(s.addresses, v1.NodeAddress{Type: v1.NodeAddressType(t), Address: str(am["address"], member(ap, "address"), true)})
		}
	}
	if x, ok := m["additionalLabels"]; ok {
		for k, l := range object(x, member(path, "additionalLabels")) {
			s.labels[k] = str(l, member(member(path, "additionalLabels"), k), false)
		}
	}
	if !s.hasNodeName && s.providerID == "" {
		fail(path, "an instance needs a \"nodeName\" or a non-empty \"providerID\"")
	}
	return s
}

func parseStatus(v any, path string) v1.LoadBalancerStatus {
	m := object(v, path, "ingress")
	raw, ok := m["ingress"]
	if !ok {
		fail(path, "missing field \"ingress\" (use [] for no ingress)")
	}
	status := v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{}}
	ip := member(path, "ingress")
	for i, item := range array(raw, ip) {
		p := index(ip, i)
		im := object(item, p, "ip", "hostname", "ipMode", "ports")
		var ing v1.LoadBalancerIngress
		if x, ok := im["ip"]; ok {
			ing.IP = str(x, member(p, "ip"), false)
			if _, e := netip.ParseAddr(ing.IP); e != nil {
				fail(member(p, "ip"), "%q is not an IP address", ing.IP)
			}
		}
		if x, ok := im["hostname"]; ok {
			ing.Hostname = str(x, member(p, "hostname"), true)
		}
		if ing.IP == "" && ing.Hostname == "" {
			fail(p, "an ingress point needs an \"ip\" or a \"hostname\"")
		}
		if x, ok := im["ipMode"]; ok {
			if ing.IP == "" {
				fail(member(p, "ipMode"), "only allowed together with \"ip\"")
			}
			mode := v1.LoadBalancerIPMode(oneOf(x, member(p, "ipMode"), []string{"VIP", "Proxy"}))
			ing.IPMode = &mode
		}
		if x, ok := im["ports"]; ok {
			for j, port := range array(x, member(p, "ports")) {
				pp := index(member(p, "ports"), j)
				pm := object(port, pp, "port", "protocol", "error")
				ps := v1.PortStatus{Port: int32(integer(pm["port"], member(pp, "port"), 1, 65535)), Protocol: v1.Protocol(oneOf(pm["protocol"], member(pp, "protocol"), []string{"TCP", "UDP", "SCTP"}))}
				if e, ok := pm["error"]; ok {
					msg := str(e, member(pp, "error"), true)
					ps.Error = &msg
				}
				ing.Ports = append(ing.Ports, ps)
			}
		}
		status.Ingress = append(status.Ingress, ing)
	}
	return status
}

func parseFailure(v any, path string) failureRule {
	m := object(v, path, "method", "kind", "message", "retryAfterMs", "times")
	r := failureRule{kind: "Error"}
	method, _ := m["method"].(string)
	if method != "*" && !contains(allMethods, method) {
		fail(member(path, "method"), "expected \"*\" or a provider method name (%s), got %v", strings.Join(allMethods, ", "), m["method"])
	}
	r.method = method
	if x, ok := m["kind"]; ok {
		r.kind = oneOf(x, member(path, "kind"), failureKinds)
	}
	if x, ok := m["message"]; ok {
		r.message = str(x, member(path, "message"), true)
		if r.kind != "Error" && r.kind != "Retry" {
			fail(member(path, "message"), "not allowed with kind %q: its message is fixed", r.kind)
		}
	}
	x, has := m["retryAfterMs"]
	if r.kind == "Retry" {
		if !has {
			fail(path, "kind \"Retry\" needs \"retryAfterMs\"")
		}
		r.retryAfterMs = integer(x, member(path, "retryAfterMs"), 0, maxSafe)
	} else if has {
		fail(member(path, "retryAfterMs"), "only allowed with kind \"Retry\"")
	}
	if x, ok := m["times"]; ok {
		r.times = integer(x, member(path, "times"), 1, maxSafe)
	}
	return r
}

// effectiveProviderID is the providerID an instance answers to: its own, or <name>://<instanceID>.
func effectiveProviderID(s instanceSpec) string {
	if s.hasProviderID {
		return s.providerID
	}
	return "fake://" + instanceIDOf(s)
}

func instanceIDOf(s instanceSpec) string {
	if s.instanceID != "" {
		return s.instanceID
	}
	if s.providerID != "" {
		if i := strings.Index(s.providerID, "://"); i >= 0 {
			return s.providerID[i+3:]
		}
		return s.providerID
	}
	return s.nodeName
}

// ipAllocator hands out addresses of a range in order, round robin, skipping the network
// address and (IPv4) broadcast address of ranges of 4 or more, as the fake's IpRangeAllocator.
type ipAllocator struct {
	first, last, cursor *big.Int
	bits                int
	allocated           map[string]bool
}

func newIPAllocator(p netip.Prefix) *ipAllocator {
	bits := p.Addr().BitLen()
	base := new(big.Int).SetBytes(p.Addr().AsSlice())
	size := new(big.Int).Lsh(big.NewInt(1), uint(bits-p.Bits()))
	first, last := new(big.Int).Set(base), new(big.Int).Add(base, new(big.Int).Sub(size, big.NewInt(1)))
	if size.Cmp(big.NewInt(4)) >= 0 {
		first.Add(first, big.NewInt(1))
		if bits == 32 {
			last.Sub(last, big.NewInt(1))
		}
	}
	return &ipAllocator{first: first, last: last, cursor: new(big.Int).Set(first), bits: bits, allocated: map[string]bool{}}
}

func (a *ipAllocator) allocate() (string, error) {
	capacity := new(big.Int).Add(new(big.Int).Sub(a.last, a.first), big.NewInt(1))
	if big.NewInt(int64(len(a.allocated))).Cmp(capacity) >= 0 {
		return "", fmt.Errorf("load-balancer IP range is exhausted (%s addresses in use)", capacity)
	}
	for {
		candidate := new(big.Int).Set(a.cursor)
		if candidate.Cmp(a.last) == 0 {
			a.cursor.Set(a.first)
		} else {
			a.cursor.Add(a.cursor, big.NewInt(1))
		}
		buf := candidate.FillBytes(make([]byte, a.bits/8))
		addr, _ := netip.AddrFromSlice(buf)
		if !a.allocated[addr.String()] {
			a.allocated[addr.String()] = true
			return addr.String(), nil
		}
	}
}

func (a *ipAllocator) release(ip string) { delete(a.allocated, ip) }
