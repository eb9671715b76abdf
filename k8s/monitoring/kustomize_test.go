package monitoring

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promlabels "github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const namespace = "orderflow"

// built is what `kubectl apply -k` of a folder would send, decoded strictly
// into the real types (an unknown field is an error here, and silently
// dropped or refused on a cluster). Kinds nobody asked for are skipped.
type built struct {
	prometheusRules map[string]*monitoringv1.PrometheusRule
	serviceMonitors map[string]*monitoringv1.ServiceMonitor
	podMonitors     map[string]*monitoringv1.PodMonitor
	configMaps      map[string]*corev1.ConfigMap
	services        map[string]*corev1.Service
	deployments     map[string]*appsv1.Deployment
	namespaces      map[string]string // "Kind/name" to namespace
}

func build(t *testing.T, dir string) *built {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	b := &built{
		prometheusRules: map[string]*monitoringv1.PrometheusRule{},
		serviceMonitors: map[string]*monitoringv1.ServiceMonitor{},
		podMonitors:     map[string]*monitoringv1.PodMonitor{},
		configMaps:      map[string]*corev1.ConfigMap{},
		services:        map[string]*corev1.Service{},
		deployments:     map[string]*appsv1.Deployment{},
		namespaces:      map[string]string{},
	}
	for _, r := range m.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.add(r.GetApiVersion()+"/"+r.GetKind(), r.GetName(), doc); err != nil {
			t.Fatalf("kustomize build %s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		b.namespaces[r.GetKind()+"/"+r.GetName()] = r.GetNamespace()
	}
	return b
}

func (b *built) add(kind, name string, doc []byte) error {
	switch kind {
	case "monitoring.coreos.com/v1/PrometheusRule":
		return decodeInto(doc, name, b.prometheusRules)
	case "monitoring.coreos.com/v1/ServiceMonitor":
		return decodeInto(doc, name, b.serviceMonitors)
	case "monitoring.coreos.com/v1/PodMonitor":
		return decodeInto(doc, name, b.podMonitors)
	case "v1/ConfigMap":
		return decodeInto(doc, name, b.configMaps)
	case "v1/Service":
		return decodeInto(doc, name, b.services)
	case "apps/v1/Deployment":
		return decodeInto(doc, name, b.deployments)
	}
	return nil
}

func decodeInto[T any](doc []byte, name string, into map[string]*T) error {
	obj := new(T)
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	if _, dup := into[name]; dup {
		return fmt.Errorf("declared twice")
	}
	into[name] = obj
	return nil
}

// k8s/monitoring builds into exactly the PrometheusRule of rules.yaml, the
// monitors and one dashboard ConfigMap per file, all in the app's namespace.
func TestKustomizeBuild(t *testing.T) {
	b := build(t, ".")
	for key, ns := range b.namespaces {
		if ns != namespace {
			t.Errorf("%s: namespace %q, want %q", key, ns, namespace)
		}
	}
	if len(b.prometheusRules) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(b.prometheusRules))
	}
	for name, pr := range b.prometheusRules {
		if !reflect.DeepEqual(pr.Spec.Groups, ruleGroups(t)) {
			t.Errorf("PrometheusRule/%s: its groups differ from rules.yaml's: run go generate ./k8s/monitoring/", name)
		}
	}
	checkDashboardConfigMaps(t, b.configMaps)
}

// Grafana's sidecar loads each labelled ConfigMap's files; they are the
// embedded dashboards byte for byte (a configMapGenerator reads the files).
func checkDashboardConfigMaps(t *testing.T, cms map[string]*corev1.ConfigMap) {
	t.Helper()
	files, err := fs.Glob(Dashboards, "dashboards/*.json")
	if err != nil {
		t.Fatal(err)
	}
	shipped := map[string]bool{}
	for name, cm := range cms {
		if cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("ConfigMap/%s: no grafana_dashboard: \"1\" label, so Grafana's sidecar ignores it", name)
		}
		for key, data := range cm.Data {
			want, err := Dashboards.ReadFile(path.Join("dashboards", key))
			switch {
			case err != nil:
				t.Errorf("ConfigMap/%s: %s is no file of dashboards/", name, key)
			case data != string(want):
				t.Errorf("ConfigMap/%s: %s differs from dashboards/%s", name, key, key)
			case shipped[key]:
				t.Errorf("ConfigMap/%s: %s shipped twice", name, key)
			}
			shipped[key] = true
		}
	}
	for _, f := range files {
		if !shipped[path.Base(f)] {
			t.Errorf("%s is in no ConfigMap: add it to the configMapGenerator", f)
		}
	}
}

// Every role Deployment of k8s/base is scraped by exactly one monitor, which
// selects its pods (through its Service when it has one) on a port they
// declare, and labels the series with job = the Deployment's name, the name
// rules.yaml and the dashboards use.
func TestEveryRoleIsScraped(t *testing.T) {
	app, mon := build(t, "../base"), build(t, ".")
	scraped := map[string][]string{}
	for name, sm := range mon.serviceMonitors {
		if len(sm.Spec.Endpoints) == 0 {
			t.Errorf("ServiceMonitor/%s: no endpoints", name)
		}
		for svcName, svc := range app.services {
			if !selects(t, &sm.Spec.Selector, svc.Labels) {
				continue
			}
			job := svc.Labels[sm.Spec.JobLabel]
			for _, ep := range sm.Spec.Endpoints {
				if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
					t.Errorf("ServiceMonitor/%s: Service/%s has no port %q", name, svcName, ep.Port)
				}
			}
			for depName, d := range app.deployments {
				if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
					scraped[depName] = append(scraped[depName], "ServiceMonitor/"+name)
					checkJob(t, "ServiceMonitor/"+name, job, depName)
				}
			}
		}
	}
	for name, pm := range mon.podMonitors {
		if len(pm.Spec.PodMetricsEndpoints) == 0 {
			t.Errorf("PodMonitor/%s: no endpoints", name)
		}
		for depName, d := range app.deployments {
			pod := d.Spec.Template
			if !selects(t, &pm.Spec.Selector, pod.Labels) {
				continue
			}
			scraped[depName] = append(scraped[depName], "PodMonitor/"+name)
			checkJob(t, "PodMonitor/"+name, pod.Labels[pm.Spec.JobLabel], depName)
			for _, ep := range pm.Spec.PodMetricsEndpoints {
				if ep.Port == nil || !hasContainerPort(pod.Spec.Containers, *ep.Port) {
					t.Errorf("PodMonitor/%s: Deployment/%s declares no container port %q", name, depName, ptr.Deref(ep.Port, ""))
				}
			}
		}
	}
	if len(app.deployments) == 0 {
		t.Fatal("kustomize build ../base: no Deployments")
	}
	for name := range app.deployments {
		if len(scraped[name]) != 1 {
			t.Errorf("Deployment/%s is scraped by %v, want exactly one monitor", name, scraped[name])
		}
	}
	checkRoleDownNamesEveryRole(t, slices.Sorted(maps.Keys(app.deployments)))
}

// OrderflowRoleDown lists the jobs twice, in up{job=~"..."} and in one
// absent(up{job="..."}) each: both lists must be the Deployments.
func checkRoleDownNamesEveryRole(t *testing.T, roles []string) {
	t.Helper()
	var expr string
	for _, g := range ruleGroups(t) {
		for _, r := range g.Rules {
			if r.Alert == "OrderflowRoleDown" {
				expr = r.Expr.String()
			}
		}
	}
	ast, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("OrderflowRoleDown: %v", err)
	}
	var pattern, single []string
	parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			for _, m := range vs.LabelMatchers {
				switch {
				case m.Name == "job" && m.Type == promlabels.MatchRegexp:
					pattern = append(pattern, strings.Split(m.Value, "|")...)
				case m.Name == "job" && m.Type == promlabels.MatchEqual:
					single = append(single, m.Value)
				}
			}
		}
		return nil
	})
	slices.Sort(pattern)
	slices.Sort(single)
	if !slices.Equal(pattern, roles) || !slices.Equal(single, roles) {
		t.Errorf("OrderflowRoleDown watches jobs %v and %v, want the Deployments %v", pattern, single, roles)
	}
}

func selects(t *testing.T, sel *metav1.LabelSelector, set map[string]string) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		t.Fatalf("selector %v: empty or invalid (%v)", sel, err)
	}
	return s.Matches(labels.Set(set))
}

func checkJob(t *testing.T, monitor, job, deployment string) {
	t.Helper()
	if job != deployment {
		t.Errorf("%s labels Deployment/%s's series job=%q, want %q", monitor, deployment, job, deployment)
	}
}

func hasContainerPort(cs []corev1.Container, name string) bool {
	for _, c := range cs {
		if slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == name }) {
			return true
		}
	}
	return false
}
