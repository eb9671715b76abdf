package k8s_test

import (
	"fmt"
	"net"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// endpoint is one end of a connection: a pod (its namespace's and its own
// labels, its container ports for named ports) or, with ip set, an address
// outside the cluster.
type endpoint struct {
	name              string
	namespace         string
	nsLabels, podLbls map[string]string
	ports             []corev1.ContainerPort
	ip                net.IP
}

func outside(name, ip string) endpoint { return endpoint{name: name, ip: net.ParseIP(ip)} }

func podIn(name, ns string, podLabels map[string]string) endpoint {
	return endpoint{name: name, namespace: ns, nsLabels: map[string]string{"kubernetes.io/metadata.name": ns}, podLbls: podLabels}
}

// matches is a NetworkPolicy label selector: empty selects everything.
func matches(t *testing.T, sel *metav1.LabelSelector, l map[string]string) bool {
	t.Helper()
	ls, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return ls.Matches(labels.Set(l))
}

func peerMatches(t *testing.T, p networkingv1.NetworkPolicyPeer, policyNS string, e endpoint) bool {
	if p.IPBlock != nil {
		_, cidr, err := net.ParseCIDR(p.IPBlock.CIDR)
		if err != nil {
			t.Fatal(err)
		}
		return e.ip != nil && cidr.Contains(e.ip)
	}
	if e.ip != nil {
		return false // selectors select pods only
	}
	nsOK := e.namespace == policyNS
	if p.NamespaceSelector != nil {
		nsOK = matches(t, p.NamespaceSelector, e.nsLabels)
	}
	return nsOK && (p.PodSelector == nil || matches(t, p.PodSelector, e.podLbls))
}

func portMatches(ports []networkingv1.NetworkPolicyPort, port int32, proto corev1.Protocol, dst endpoint) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		pp := corev1.ProtocolTCP // the default
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if pp != proto {
			continue
		}
		switch {
		case p.Port == nil:
			return true
		case p.Port.Type == intstr.Int:
			end := p.Port.IntVal
			if p.EndPort != nil {
				end = *p.EndPort
			}
			if port >= p.Port.IntVal && port <= end {
				return true
			}
		default:
			for _, cp := range dst.ports {
				if cp.Name == p.Port.StrVal && cp.ContainerPort == port {
					return true
				}
			}
		}
	}
	return false
}

// allowed evaluates the set's NetworkPolicies, in namespace orderflow, for
// a connection from src to dst's port: src's egress (if src is one of the
// namespace's pods) and dst's ingress (likewise) must both let it through;
// a pod no policy of a direction selects is not isolated in it.
func allowed(t *testing.T, s *set, src, dst endpoint, port int32, proto corev1.Protocol) bool {
	t.Helper()
	side := func(pod endpoint, typ networkingv1.PolicyType, ok func(networkingv1.NetworkPolicy) bool) bool {
		if pod.ip != nil || pod.namespace != namespace {
			return true // not ours to isolate
		}
		isolated := false
		for _, name := range sortedKeys(s.networkPolicies) {
			np := s.networkPolicies[name]
			if np.Namespace != namespace || !matches(t, &np.Spec.PodSelector, pod.podLbls) {
				continue
			}
			for _, pt := range np.Spec.PolicyTypes {
				if pt == typ {
					isolated = true
					if ok(*np) {
						return true
					}
				}
			}
		}
		return !isolated
	}
	egress := side(src, networkingv1.PolicyTypeEgress, func(np networkingv1.NetworkPolicy) bool {
		for _, r := range np.Spec.Egress {
			peer := len(r.To) == 0
			for _, p := range r.To {
				peer = peer || peerMatches(t, p, np.Namespace, dst)
			}
			if peer && portMatches(r.Ports, port, proto, dst) {
				return true
			}
		}
		return false
	})
	ingress := side(dst, networkingv1.PolicyTypeIngress, func(np networkingv1.NetworkPolicy) bool {
		for _, r := range np.Spec.Ingress {
			peer := len(r.From) == 0
			for _, p := range r.From {
				peer = peer || peerMatches(t, p, np.Namespace, src)
			}
			if peer && portMatches(r.Ports, port, proto, dst) {
				return true
			}
		}
		return false
	})
	return egress && ingress
}

type flow struct {
	from, to string
	port     int32
	proto    corev1.Protocol
}

func (f flow) String() string { return fmt.Sprintf("%s -> %s:%d/%s", f.from, f.to, f.port, f.proto) }

// TestNetworkPolicies: with components/network-policies, the namespace
// denies everything by default and each role gets exactly its flows:
// every flow the roles need is allowed, and flows nobody needs (the ops
// port from outside Prometheus, a role reaching a dependency it does not
// use, another namespace reaching the api) are not.
func TestNetworkPolicies(t *testing.T) {
	s := renderWith(t, "network-policies")
	for _, err := range runChecks(s) {
		t.Error(err)
	}
	ep := map[string]endpoint{
		"ingress-controller": podIn("ingress-controller", "ingress-nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx"}),
		"prometheus":         podIn("prometheus", "monitoring", map[string]string{"app.kubernetes.io/name": "prometheus"}),
		"kube-dns":           podIn("kube-dns", "kube-system", map[string]string{"k8s-app": "kube-dns"}),
		"other-dns":          podIn("other-dns", "default", map[string]string{"k8s-app": "kube-dns"}),
		"stranger":           podIn("stranger", "default", map[string]string{"app": "stranger"}),
		"temporal":           podIn("temporal", "temporal", map[string]string{"app.kubernetes.io/name": "temporal"}),
		"kafka":              podIn("kafka", "data", map[string]string{"app.kubernetes.io/name": "kafka"}),
		"redis":              podIn("redis", "data", map[string]string{"app.kubernetes.io/name": "redis"}),
		"postgres":           outside("postgres", "10.20.0.5"),
		"internet":           outside("internet", "203.0.113.10"),
	}
	var deployments []string
	for _, w := range s.workloads() {
		e := podIn(w.name, namespace, w.pod.Labels)
		for _, c := range containers(w.pod) {
			e.ports = append(e.ports, c.Ports...)
		}
		ep[w.name] = e
		if w.kind == "Deployment" {
			deployments = append(deployments, w.name)
		}
	}
	tcp := func(from, to string, port int32) flow { return flow{from, to, port, corev1.ProtocolTCP} }
	need := []flow{
		tcp("ingress-controller", "frontend", 3000), tcp("ingress-controller", "api", 8080), tcp("frontend", "api", 8080), tcp("frontend", "redis", 6379),
		tcp("api", "postgres", 5432), tcp("api", "redis", 6379), tcp("api", "temporal", 7233),
		tcp("worker-orders", "postgres", 5432), tcp("worker-orders", "temporal", 7233), tcp("worker-orders", "kafka", 9092), tcp("worker-orders", "internet", 443), tcp("worker-orders", "redis", 6379),
		tcp("worker-inventory", "postgres", 5432), tcp("worker-inventory", "temporal", 7233), tcp("worker-inventory", "kafka", 9092), tcp("worker-inventory", "redis", 6379),
		tcp("worker-notifications", "postgres", 5432), tcp("worker-notifications", "temporal", 7233), tcp("worker-notifications", "redis", 6379), tcp("worker-notifications", "kafka", 9092), tcp("worker-notifications", "internet", 443),
		tcp("worker-fulfilment", "postgres", 5432), tcp("worker-fulfilment", "temporal", 7233), tcp("worker-fulfilment", "internet", 443),
		tcp("migrate", "postgres", 5432),
		tcp("inventory-drift-check", "postgres", 5432), tcp("inventory-drift-check", "redis", 6379),
	}
	for _, w := range s.workloads() {
		need = append(need, flow{w.name, "kube-dns", 53, corev1.ProtocolUDP}, tcp(w.name, "kube-dns", 53))
	}
	for _, d := range deployments {
		need = append(need, tcp("prometheus", d, 9090))
	}
	deny := []flow{
		tcp("frontend", "postgres", 5432), tcp("frontend", "temporal", 7233), tcp("frontend", "api", 9090),
		tcp("ingress-controller", "api", 9090), tcp("ingress-controller", "frontend", 9090), tcp("ingress-controller", "worker-orders", 9090),
		tcp("stranger", "api", 8080), tcp("stranger", "api", 9090), tcp("stranger", "frontend", 3000), tcp("prometheus", "api", 8080),
		tcp("api", "internet", 443), tcp("api", "kafka", 9092), tcp("api", "worker-orders", 9090), tcp("worker-orders", "api", 8080),
		tcp("worker-inventory", "internet", 443), tcp("worker-fulfilment", "redis", 6379), tcp("worker-fulfilment", "kafka", 9092),
		tcp("migrate", "temporal", 7233), tcp("migrate", "redis", 6379), tcp("migrate", "internet", 443),
		tcp("inventory-drift-check", "temporal", 7233), tcp("api", "internet", 25),
		{"api", "other-dns", 53, corev1.ProtocolUDP},
	}
	for _, f := range need {
		if _, ok := ep[f.from]; !ok {
			t.Fatalf("%s: no workload %s", f, f.from)
		}
		if !allowed(t, s, ep[f.from], ep[f.to], f.port, f.proto) {
			t.Errorf("%s is needed, and denied", f)
		}
	}
	for _, f := range deny {
		if allowed(t, s, ep[f.from], ep[f.to], f.port, f.proto) {
			t.Errorf("%s is allowed, and nobody needs it", f)
		}
	}
}

// TestNetworkPolicyEvaluatorCatches: the evaluator is not vacuous: without
// the api's policy, the api is unreachable and reaches nothing; with an
// allow-all egress policy, it reaches anything.
func TestNetworkPolicyEvaluatorCatches(t *testing.T) {
	s := renderWith(t, "network-policies")
	var api, frontend endpoint
	for _, w := range s.workloads() {
		e := podIn(w.name, namespace, w.pod.Labels)
		for _, c := range containers(w.pod) {
			e.ports = append(e.ports, c.Ports...)
		}
		switch w.name {
		case "api":
			api = e
		case "frontend":
			frontend = e
		}
	}
	pg, internet := outside("postgres", "10.20.0.5"), outside("internet", "203.0.113.10")
	if !allowed(t, s, frontend, api, 8080, corev1.ProtocolTCP) || !allowed(t, s, api, pg, 5432, corev1.ProtocolTCP) {
		t.Fatal("the shipped policies do not allow the api's flows")
	}
	delete(s.networkPolicies, "api")
	if allowed(t, s, frontend, api, 8080, corev1.ProtocolTCP) || allowed(t, s, api, pg, 5432, corev1.ProtocolTCP) {
		t.Error("without the api's policy, its flows are still allowed")
	}
	s.networkPolicies["open"] = &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "open", Namespace: namespace},
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{{}},
		},
	}
	if !allowed(t, s, api, internet, 443, corev1.ProtocolTCP) {
		t.Error("an allow-all egress policy does not allow the api out")
	}
}
