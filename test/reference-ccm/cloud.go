package main

// The anchor cloud: a small deterministic cloud with the state model of Outrigger's fake provider
// (instances keyed by node name and providerID, load balancers keyed by Service, one route table
// per cluster), every call recorded to a JSON-lines file, all state under one mutex. Upstream's
// cloud-provider/fake is not used: it shares one address list and one exists flag between all
// nodes and writes its balancer map without a lock.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/api"
)

const providerName = "fake"

// callLogEnv names the JSON-lines file every cloud call is appended to (the same variable
// Outrigger's fake provider reads).
const callLogEnv = "OUTRIGGER_FAKE_CALL_LOG"

func init() {
	cloudprovider.RegisterCloudProvider(providerName, func(config io.Reader) (cloudprovider.Interface, error) {
		var text []byte
		if config != nil {
			var err error
			if text, err = io.ReadAll(config); err != nil {
				return nil, err
			}
		}
		cfg, err := parseConfig(text)
		if err != nil {
			return nil, err
		}
		return newAnchorCloud(cfg, os.Getenv(callLogEnv))
	})
}

type instance struct {
	spec       instanceSpec
	providerID string
	instanceID string
}

type balancer struct {
	status      v1.LoadBalancerStatus
	allocatedIP string
	nodes       []string
}

type anchorCloud struct {
	mu        sync.Mutex
	cfg       *anchorConfig
	byName    map[string]*instance
	byID      map[string]*instance
	ips       *ipAllocator
	balancers map[string]*balancer
	routes    map[string]map[string]*cloudprovider.Route
	counted   []failureRule
	log       *os.File
}

func newAnchorCloud(cfg *anchorConfig, logPath string) (*anchorCloud, error) {
	c := &anchorCloud{cfg: cfg, byName: map[string]*instance{}, byID: map[string]*instance{}, ips: newIPAllocator(cfg.ipRange),
		balancers: map[string]*balancer{}, routes: map[string]map[string]*cloudprovider.Route{}}
	for _, s := range cfg.instances {
		in := &instance{spec: s, providerID: effectiveProviderID(s), instanceID: instanceIDOf(s)}
		if s.hasNodeName {
			c.byName[s.nodeName] = in
		}
		if in.providerID != "" {
			c.byID[in.providerID] = in
		}
	}
	for _, f := range cfg.failures {
		if f.times > 0 {
			c.counted = append(c.counted, f)
		}
	}
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", callLogEnv, err)
		}
		c.log = f
	}
	return c, nil
}

// Arguments are recorded in a compact form both CCMs share: a Service as "namespace/name", a
// Node as its name, a route as its name, target and destination.
func svcKey(s *v1.Service) string {
	ns := s.Namespace
	if ns == "" {
		ns = "default"
	}
	return ns + "/" + s.Name
}

func nodeNames(nodes []*v1.Node) []string {
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

func routeArg(r *cloudprovider.Route) map[string]any {
	m := map[string]any{"name": r.Name, "targetNode": string(r.TargetNode), "destinationCIDR": r.DestinationCIDR}
	if r.Blackhole {
		m["blackhole"] = true
	}
	return m
}

// call records a call, then applies injected failures and latency, as the fake's call pipeline:
// counted rules first (oldest first), then an always rule for the method, then for "*".
func (c *anchorCloud) call(ctx context.Context, method string, args ...any) error {
	c.mu.Lock()
	if c.log != nil {
		if args == nil {
			args = []any{} // [] in the log, as the fake writes it, not null
		}
		line, _ := json.Marshal(map[string]any{"method": method, "args": args, "at": time.Now().UnixMilli()})
		_, _ = c.log.Write(append(line, '\n'))
	}
	var rule *failureRule
	for i := range c.counted {
		if c.counted[i].method == method || c.counted[i].method == "*" {
			r := c.counted[i]
			rule = &r
			c.counted[i].times--
			if c.counted[i].times == 0 {
				c.counted = append(c.counted[:i], c.counted[i+1:]...)
			}
			break
		}
	}
	if rule == nil {
		for _, sel := range []string{method, "*"} {
			for i := range c.cfg.failures {
				if c.cfg.failures[i].times == 0 && c.cfg.failures[i].method == sel {
					rule = &c.cfg.failures[i]
				}
			}
			if rule != nil {
				break
			}
		}
	}
	latency, ok := c.cfg.latencyMs[method]
	if !ok {
		latency = c.cfg.latencyMs["*"]
	}
	c.mu.Unlock()
	if latency > 0 && method != "setInformers" {
		select {
		case <-time.After(time.Duration(latency) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if rule == nil {
		return nil
	}
	switch rule.kind {
	case "InstanceNotFound":
		return cloudprovider.InstanceNotFound
	case "NotImplemented":
		return cloudprovider.NotImplemented
	case "ImplementedElsewhere":
		return cloudprovider.ImplementedElsewhere
	case "Retry":
		msg := rule.message
		if msg == "" {
			msg = "fake cloud provider: injected retry"
		}
		return api.NewRetryError(msg, time.Duration(rule.retryAfterMs)*time.Millisecond)
	}
	if rule.message != "" {
		return errors.New(rule.message)
	}
	return fmt.Errorf("fake cloud provider: injected failure of %s", method)
}

// ---- cloudprovider.Interface ----

func (c *anchorCloud) Initialize(cloudprovider.ControllerClientBuilder, <-chan struct{}) {
	_ = c.call(context.Background(), "initialize")
}
func (c *anchorCloud) SetInformers(informers.SharedInformerFactory) {
	_ = c.call(context.Background(), "setInformers")
}
func (c *anchorCloud) has(capability string) bool { return c.cfg.capabilities[capability] }
func (c *anchorCloud) LoadBalancer() (cloudprovider.LoadBalancer, bool) {
	return c, c.has("loadBalancer")
}
func (c *anchorCloud) Instances() (cloudprovider.Instances, bool) {
	return instancesV1{c}, c.has("instances")
}
func (c *anchorCloud) InstancesV2() (cloudprovider.InstancesV2, bool) { return c, c.has("instancesV2") }
func (c *anchorCloud) Zones() (cloudprovider.Zones, bool)             { return c, c.has("zones") }
func (c *anchorCloud) Clusters() (cloudprovider.Clusters, bool)       { return c, c.has("clusters") }
func (c *anchorCloud) Routes() (cloudprovider.Routes, bool)           { return c, c.has("routes") }
func (c *anchorCloud) ProviderName() string                           { return providerName }
func (c *anchorCloud) HasClusterID() bool                             { return c.cfg.hasClusterID }

// ---- instances ----

func (c *anchorCloud) existingByName(name string) (*instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.byName[name]; in != nil && in.spec.exists {
		return in, nil
	}
	return nil, cloudprovider.InstanceNotFound
}

func (c *anchorCloud) existingByID(id string) (*instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.byID[id]; in != nil && in.spec.exists {
		return in, nil
	}
	return nil, cloudprovider.InstanceNotFound
}

// forNode finds a Node's instance by providerID, then by name unless both carry different providerIDs.
func (c *anchorCloud) forNode(node *v1.Node) (*instance, error) {
	if id := node.Spec.ProviderID; id != "" {
		if in, err := c.existingByID(id); err == nil {
			return in, nil
		}
	}
	in, err := c.existingByName(node.Name)
	if err != nil || node.Name == "" {
		return nil, cloudprovider.InstanceNotFound
	}
	if node.Spec.ProviderID == "" || in.providerID == "" || in.providerID == node.Spec.ProviderID {
		return in, nil
	}
	return nil, cloudprovider.InstanceNotFound
}

func (c *anchorCloud) zoneOf(in *instance) cloudprovider.Zone {
	z := cloudprovider.Zone{FailureDomain: c.cfg.defaultZone[0], Region: c.cfg.defaultZone[1]}
	if in.spec.zone != nil {
		z.FailureDomain = *in.spec.zone
	}
	if in.spec.region != nil {
		z.Region = *in.spec.region
	}
	return z
}

func copyAddresses(a []v1.NodeAddress) []v1.NodeAddress { return append([]v1.NodeAddress{}, a...) }

func (c *anchorCloud) InstanceExists(ctx context.Context, node *v1.Node) (bool, error) {
	if err := c.call(ctx, "instanceExists", node.Name); err != nil {
		return false, err
	}
	_, err := c.forNode(node)
	return err == nil, nil
}

func (c *anchorCloud) InstanceShutdown(ctx context.Context, node *v1.Node) (bool, error) {
	if err := c.call(ctx, "instanceShutdown", node.Name); err != nil {
		return false, err
	}
	in, err := c.forNode(node)
	if err != nil {
		return false, err
	}
	return in.spec.shutdown, nil
}

func (c *anchorCloud) InstanceMetadata(ctx context.Context, node *v1.Node) (*cloudprovider.InstanceMetadata, error) {
	if err := c.call(ctx, "instanceMetadata", node.Name); err != nil {
		return nil, err
	}
	in, err := c.forNode(node)
	if err != nil {
		return nil, err
	}
	z := c.zoneOf(in)
	md := &cloudprovider.InstanceMetadata{ProviderID: in.providerID, InstanceType: in.spec.instanceType, NodeAddresses: copyAddresses(in.spec.addresses),
		Zone: z.FailureDomain, Region: z.Region}
	if len(in.spec.labels) > 0 {
		md.AdditionalLabels = map[string]string{}
		for k, v := range in.spec.labels {
			md.AdditionalLabels[k] = v
		}
	}
	return md, nil
}

// instancesV1 is the legacy Instances capability (its method names clash with InstancesV2's).
type instancesV1 struct{ c *anchorCloud }

func (i instancesV1) NodeAddresses(ctx context.Context, name types.NodeName) ([]v1.NodeAddress, error) {
	if err := i.c.call(ctx, "nodeAddresses", string(name)); err != nil {
		return nil, err
	}
	in, err := i.c.existingByName(string(name))
	if err != nil {
		return nil, err
	}
	return copyAddresses(in.spec.addresses), nil
}

func (i instancesV1) NodeAddressesByProviderID(ctx context.Context, id string) ([]v1.NodeAddress, error) {
	if err := i.c.call(ctx, "nodeAddressesByProviderID", id); err != nil {
		return nil, err
	}
	in, err := i.c.existingByID(id)
	if err != nil {
		return nil, err
	}
	return copyAddresses(in.spec.addresses), nil
}

func (i instancesV1) InstanceID(ctx context.Context, name types.NodeName) (string, error) {
	if err := i.c.call(ctx, "instanceID", string(name)); err != nil {
		return "", err
	}
	in, err := i.c.existingByName(string(name))
	if err != nil {
		return "", err
	}
	return in.instanceID, nil
}

func (i instancesV1) InstanceType(ctx context.Context, name types.NodeName) (string, error) {
	if err := i.c.call(ctx, "instanceType", string(name)); err != nil {
		return "", err
	}
	in, err := i.c.existingByName(string(name))
	if err != nil {
		return "", err
	}
	return in.spec.instanceType, nil
}

func (i instancesV1) InstanceTypeByProviderID(ctx context.Context, id string) (string, error) {
	if err := i.c.call(ctx, "instanceTypeByProviderID", id); err != nil {
		return "", err
	}
	in, err := i.c.existingByID(id)
	if err != nil {
		return "", err
	}
	return in.spec.instanceType, nil
}

func (i instancesV1) AddSSHKeyToAllInstances(ctx context.Context, user string, key []byte) error {
	if err := i.c.call(ctx, "addSSHKeyToAllInstances", user, len(key)); err != nil {
		return err
	}
	return cloudprovider.NotImplemented
}

func (i instancesV1) CurrentNodeName(ctx context.Context, hostname string) (types.NodeName, error) {
	if err := i.c.call(ctx, "currentNodeName", hostname); err != nil {
		return "", err
	}
	return types.NodeName(hostname), nil
}

func (i instancesV1) InstanceExistsByProviderID(ctx context.Context, id string) (bool, error) {
	if err := i.c.call(ctx, "instanceExistsByProviderID", id); err != nil {
		return false, err
	}
	_, err := i.c.existingByID(id)
	return err == nil, nil
}

func (i instancesV1) InstanceShutdownByProviderID(ctx context.Context, id string) (bool, error) {
	if err := i.c.call(ctx, "instanceShutdownByProviderID", id); err != nil {
		return false, err
	}
	if id == "" {
		return false, errors.New("fake cloud provider: instanceShutdownByProviderID: the providerID is empty")
	}
	in, err := i.c.existingByID(id)
	if err != nil {
		return false, err
	}
	return in.spec.shutdown, nil
}

// ---- zones and clusters ----

func (c *anchorCloud) GetZone(ctx context.Context) (cloudprovider.Zone, error) {
	if err := c.call(ctx, "getZone"); err != nil {
		return cloudprovider.Zone{}, err
	}
	return cloudprovider.Zone{FailureDomain: c.cfg.defaultZone[0], Region: c.cfg.defaultZone[1]}, nil
}

func (c *anchorCloud) GetZoneByProviderID(ctx context.Context, id string) (cloudprovider.Zone, error) {
	if err := c.call(ctx, "getZoneByProviderID", id); err != nil {
		return cloudprovider.Zone{}, err
	}
	in, err := c.existingByID(id)
	if err != nil {
		return cloudprovider.Zone{}, err
	}
	return c.zoneOf(in), nil
}

func (c *anchorCloud) GetZoneByNodeName(ctx context.Context, name types.NodeName) (cloudprovider.Zone, error) {
	if err := c.call(ctx, "getZoneByNodeName", string(name)); err != nil {
		return cloudprovider.Zone{}, err
	}
	in, err := c.existingByName(string(name))
	if err != nil {
		return cloudprovider.Zone{}, err
	}
	return c.zoneOf(in), nil
}

func (c *anchorCloud) ListClusters(ctx context.Context) ([]string, error) {
	if err := c.call(ctx, "listClusters"); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(c.cfg.clusters))
	for n := range c.cfg.clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func (c *anchorCloud) Master(ctx context.Context, name string) (string, error) {
	if err := c.call(ctx, "master", name); err != nil {
		return "", err
	}
	if addr, ok := c.cfg.clusters[name]; ok {
		return addr, nil
	}
	return "", fmt.Errorf("fake cloud provider: master: cluster %q is not configured", name)
}

// ---- load balancers ----

func (c *anchorCloud) GetLoadBalancer(ctx context.Context, cluster string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	if err := c.call(ctx, "getLoadBalancer", cluster, svcKey(svc)); err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.balancers[svcKey(svc)]; b != nil {
		return b.status.DeepCopy(), true, nil
	}
	return nil, false, nil
}

func (c *anchorCloud) GetLoadBalancerName(ctx context.Context, cluster string, svc *v1.Service) string {
	_ = c.call(ctx, "getLoadBalancerName", cluster, svcKey(svc))
	return cloudprovider.DefaultLoadBalancerName(svc)
}

func (c *anchorCloud) EnsureLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	if err := c.call(ctx, "ensureLoadBalancer", cluster, svcKey(svc), nodeNames(nodes)); err != nil {
		return nil, err
	}
	key := svcKey(svc)
	c.mu.Lock()
	defer c.mu.Unlock()
	existing := c.balancers[key]
	b := &balancer{nodes: nodeNames(nodes)}
	if explicit, ok := c.cfg.statuses[key]; ok {
		if existing != nil && existing.allocatedIP != "" {
			c.ips.release(existing.allocatedIP)
		}
		b.status = *explicit.DeepCopy()
	} else {
		if existing != nil && existing.allocatedIP != "" {
			b.allocatedIP = existing.allocatedIP
		} else {
			ip, err := c.ips.allocate()
			if err != nil {
				return nil, err
			}
			b.allocatedIP = ip
		}
		ing := v1.LoadBalancerIngress{IP: b.allocatedIP}
		if c.cfg.ipMode != "" {
			mode := v1.LoadBalancerIPMode(c.cfg.ipMode)
			ing.IPMode = &mode
		}
		b.status = v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{ing}}
	}
	c.balancers[key] = b
	return b.status.DeepCopy(), nil
}

func (c *anchorCloud) UpdateLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) error {
	if err := c.call(ctx, "updateLoadBalancer", cluster, svcKey(svc), nodeNames(nodes)); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.balancers[svcKey(svc)]
	if b == nil {
		return fmt.Errorf("fake cloud provider: updateLoadBalancer: service %q has no load balancer", svcKey(svc))
	}
	b.nodes = nodeNames(nodes)
	return nil
}

func (c *anchorCloud) EnsureLoadBalancerDeleted(ctx context.Context, cluster string, svc *v1.Service) error {
	if err := c.call(ctx, "ensureLoadBalancerDeleted", cluster, svcKey(svc)); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.balancers[svcKey(svc)]; b != nil {
		if b.allocatedIP != "" {
			c.ips.release(b.allocatedIP)
		}
		delete(c.balancers, svcKey(svc))
	}
	return nil
}

// ---- routes ----

func routeName(hint string, target types.NodeName, cidr string) string {
	if hint == "" {
		hint = string(target)
	}
	return hint + "-" + cidr
}

func (c *anchorCloud) ListRoutes(ctx context.Context, cluster string) ([]*cloudprovider.Route, error) {
	if err := c.call(ctx, "listRoutes", cluster); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	table := c.routes[cluster]
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]*cloudprovider.Route, 0, len(names))
	for _, n := range names {
		r := *table[n]
		if c.cfg.routeAddresses {
			r.EnableNodeAddresses = true
			r.TargetNodeAddresses = copyAddresses(r.TargetNodeAddresses)
		} else {
			r.TargetNodeAddresses = nil
		}
		out = append(out, &r)
	}
	return out, nil
}

func (c *anchorCloud) CreateRoute(ctx context.Context, cluster, hint string, route *cloudprovider.Route) error {
	if err := c.call(ctx, "createRoute", cluster, hint, routeArg(route)); err != nil {
		return err
	}
	if route.DestinationCIDR == "" {
		return errors.New("fake cloud provider: createRoute: the route has no destinationCIDR")
	}
	name := routeName(hint, route.TargetNode, route.DestinationCIDR)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.routes[cluster] == nil {
		c.routes[cluster] = map[string]*cloudprovider.Route{}
	}
	if _, ok := c.routes[cluster][name]; ok {
		return fmt.Errorf("fake cloud provider: createRoute: route %q already exists in cluster %q", name, cluster)
	}
	c.routes[cluster][name] = &cloudprovider.Route{Name: name, TargetNode: route.TargetNode, DestinationCIDR: route.DestinationCIDR,
		TargetNodeAddresses: copyAddresses(route.TargetNodeAddresses)}
	return nil
}

func (c *anchorCloud) DeleteRoute(ctx context.Context, cluster string, route *cloudprovider.Route) error {
	if err := c.call(ctx, "deleteRoute", cluster, routeArg(route)); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	table := c.routes[cluster]
	if _, ok := table[route.Name]; ok {
		delete(table, route.Name)
		return nil
	}
	for name, r := range table {
		if r.TargetNode == route.TargetNode && r.DestinationCIDR == route.DestinationCIDR {
			delete(table, name)
			return nil
		}
	}
	return fmt.Errorf("fake cloud provider: deleteRoute: no route %q (node %q, destination %q) in cluster %q", route.Name, route.TargetNode,
		route.DestinationCIDR, cluster)
}
