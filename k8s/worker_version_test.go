package k8s_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// render is what `kubectl apply -k dir` would send, each object decoded
// strictly into its k8s.io/api type.
func render(t *testing.T, fsys filesys.FileSystem, dir string) *set {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	s := newSet()
	for _, r := range m.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		obj, err := decode(doc)
		if err != nil {
			t.Fatalf("kustomize build %s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		if err := s.add("kustomize build "+dir, obj); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestKustomizeBuildIsTheManifests: `kustomize build k8s/base` is exactly
// the objects the other tests check, unchanged: every manifest but the
// example Secret, the workers as their first version.
func TestKustomizeBuildIsTheManifests(t *testing.T) {
	built, files := render(t, filesys.MakeFsOnDisk(), baseDir), load(t)
	delete(files.objects, "Secret/"+secretName) // the example, never applied
	if got, want := sortedKeys(built.objects), sortedKeys(files.objects); !slices.Equal(got, want) {
		t.Fatalf("kustomize build k8s/base has %v, the manifests %v", got, want)
	}
	for key, obj := range files.objects {
		if !reflect.DeepEqual(built.objects[key], obj) {
			t.Errorf("%s: kustomize build k8s/base changes it from %s", key, files.files[key])
		}
	}
}

// TestWorkersAreWhatRunsPerVersion: workers/, what worker-version/ renders
// as each version, holds exactly the objects labelled with a version, so
// `kubectl apply -k k8s/overlays/production/ -l '!app.kubernetes.io/version'` applies everything
// else, and the delete of a drained version (the README's, by its labels)
// takes its Deployment and autoscaler and nothing else.
func TestWorkersAreWhatRunsPerVersion(t *testing.T) {
	s := load(t)
	notVersioned, err := labels.Parse("!" + versionLabel)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range sortedKeys(s.objects) {
		inWorkers := filepath.Dir(s.files[key]) == workersDir
		applied := notVersioned.Matches(labels.Set(s.objects[key].(metav1.Object).GetLabels()))
		switch {
		case inWorkers && applied:
			t.Errorf("%s (%s) has no %s label: `kubectl apply -k k8s/overlays/production/ -l '!%s'` would update it in place", key, s.files[key], versionLabel, versionLabel)
		case !inWorkers && !applied:
			t.Errorf("%s (%s) is labelled %s: `kubectl apply -k k8s/overlays/production/ -l '!%s'` would skip it; only workers/ is per version", key, s.files[key], versionLabel, versionLabel)
		}
	}
	for _, q := range workerQueues {
		retire, err := labels.Parse("app.kubernetes.io/component=worker-" + q + "," + versionLabel + "=" + releaseTag(t, s))
		if err != nil {
			t.Fatal(err)
		}
		var deleted []string
		for _, key := range sortedKeys(s.objects) {
			kind, _, _ := strings.Cut(key, "/")
			if (kind == "Deployment" || kind == "HorizontalPodAutoscaler") &&
				retire.Matches(labels.Set(s.objects[key].(metav1.Object).GetLabels())) {
				deleted = append(deleted, key)
			}
		}
		if want := []string{"Deployment/worker-" + q, "HorizontalPodAutoscaler/worker-" + q}; !slices.Equal(deleted, want) {
			t.Errorf("kubectl delete deploy,hpa -l %s would delete %v, want %v", retire, deleted, want)
		}
	}
}

// releaseTag is the one image tag of the manifests (checkImages insists).
func releaseTag(t *testing.T, s *set) string {
	t.Helper()
	_, tag, _, _ := splitImage(s.deployments["api"].Spec.Template.Spec.Containers[0].Image)
	if tag == "" {
		t.Fatal("Deployment/api: image without a tag")
	}
	return tag
}

// versionKustomization is worker-version/kustomization.yaml, decoded
// strictly: a field the test does not know is an error.
type versionKustomization struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Resources  []string      `json:"resources"`
	Components []string      `json:"components"`
	NameSuffix string        `json:"nameSuffix"`
	Labels     []types.Label `json:"labels"`
	Images     []types.Image `json:"images"`
}

// readVersion returns the version worker-version/ renders, after checking
// that the kustomization sets it the one way the README describes: the
// label, in selectors and templates too, the image tag and the name suffix,
// each once, on the workers/ base.
func readVersion(t *testing.T, text string) string {
	t.Helper()
	var k versionKustomization
	if err := yaml.UnmarshalStrict([]byte(text), &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", versionDir, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Errorf("%s/kustomization.yaml: apiVersion/kind %s/%s", versionDir, k.APIVersion, k.Kind)
	}
	if want := []string{"../" + workersDir}; !slices.Equal(k.Resources, want) {
		t.Errorf("%s/kustomization.yaml: resources %v, want %v: one version is what workers/ holds", versionDir, k.Resources, want)
	}
	if len(k.Components) > 0 && !slices.Equal(k.Components, []string{kedaComponent}) {
		t.Errorf("%s/kustomization.yaml: components %v, want none or %s", versionDir, k.Components, kedaComponent)
	}
	if len(k.Labels) != 1 || len(k.Labels[0].Pairs) != 1 || k.Labels[0].Pairs[versionLabel] == "" || !k.Labels[0].IncludeSelectors {
		t.Fatalf("%s/kustomization.yaml: labels %+v, want one pair %s: <version> with includeSelectors: true", versionDir, k.Labels, versionLabel)
	}
	version := k.Labels[0].Pairs[versionLabel]
	if len(k.Images) != 1 || k.Images[0] != (types.Image{Name: imageRepo, NewTag: version}) {
		t.Errorf("%s/kustomization.yaml: images %+v, want %s with newTag %q, the version", versionDir, k.Images, imageRepo, version)
	}
	if k.NameSuffix != versionSuffix(version) {
		t.Errorf("%s/kustomization.yaml: nameSuffix %q, want %q for version %q", versionDir, k.NameSuffix, versionSuffix(version), version)
	}
	// The README edits the version with sed: these three places only.
	if n, m := strings.Count(text, version), strings.Count(text, versionSuffix(version)); n != 2 || m != 1 {
		t.Errorf("%s/kustomization.yaml: %q appears %d times and %q %d, want 2 (label, tag) and 1 (suffix)",
			versionDir, version, n, versionSuffix(version), m)
	}
	return version
}

// checkVersionRender: worker-version/ as version renders each queue's
// Deployment and autoscaler of workers/, renamed with the version's suffix,
// with the version in its labels, selectors and image, and nothing else
// changed (not the ConfigMap and Secret it reads, which are shared: no
// suffix).
func checkVersionRender(t *testing.T, base, got *set, version string) {
	t.Helper()
	suffix := versionSuffix(version)
	var want []string
	for _, q := range workerQueues {
		want = append(want, "Deployment/worker-"+q+suffix, "HorizontalPodAutoscaler/worker-"+q+suffix)
	}
	slices.Sort(want)
	if keys := sortedKeys(got.objects); !slices.Equal(keys, want) {
		t.Fatalf("version %s renders %v, want %v", version, keys, want)
	}
	for _, q := range workerQueues {
		name := "worker-" + q + suffix
		d := base.deployments["worker-"+q].DeepCopy()
		d.Name = name
		d.Labels[versionLabel] = version
		d.Spec.Selector.MatchLabels[versionLabel] = version
		d.Spec.Template.Labels[versionLabel] = version
		for i := range d.Spec.Template.Spec.TopologySpreadConstraints {
			d.Spec.Template.Spec.TopologySpreadConstraints[i].LabelSelector.MatchLabels[versionLabel] = version
		}
		for i := range d.Spec.Template.Spec.Containers {
			d.Spec.Template.Spec.Containers[i].Image = imageRepo + ":" + version
		}
		for i := range d.Spec.Template.Spec.InitContainers {
			d.Spec.Template.Spec.InitContainers[i].Image = imageRepo + ":" + version
		}
		if !reflect.DeepEqual(got.deployments[name], d) {
			t.Errorf("Deployment/%s is not workers/'s worker-%s with name, version label, selector and image of version %s:\n%s",
				name, q, version, diffYAML(t, d, got.deployments[name]))
		}
		h := base.hpas["worker-"+q].DeepCopy()
		h.Name = name
		h.Labels[versionLabel] = version
		h.Spec.ScaleTargetRef.Name = name
		if !reflect.DeepEqual(got.hpas[name], h) {
			t.Errorf("HorizontalPodAutoscaler/%s does not scale Deployment/%s as workers/'s worker-%s does its own:\n%s",
				name, name, q, diffYAML(t, h, got.hpas[name]))
		}
	}
}

// diffYAML shows the lines of want and got that differ.
func diffYAML(t *testing.T, want, got any) string {
	t.Helper()
	w, err := yaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := yaml.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	wl, gl := strings.Split(string(w), "\n"), strings.Split(string(g), "\n")
	var out []string
	for _, l := range wl {
		if !slices.Contains(gl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range gl {
		if !slices.Contains(wl, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestWorkerVersion: the committed worker-version/ renders the release's
// version (the manifests' image tag) as the README says, and passes the
// manifests' checks.
func TestWorkerVersion(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(versionDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	version := readVersion(t, string(text))
	base := load(t)
	if tag := releaseTag(t, base); version != tag {
		t.Errorf("%s/ renders version %q, the manifests release %q: one release is one tag", versionDir, version, tag)
	}
	checkVersionRender(t, base, render(t, filesys.MakeFsOnDisk(), versionDir), version)
}

// TestWorkerVersionsSideBySide is a rollout's middle: worker-version/
// edited to version B as the README says, applied beside the manifests'
// version A. B's Deployments are B's alone (no selector takes the other
// version's pods), each autoscales its own, the workers' disruption budgets
// cover both versions' pods, each pod by one budget, and every other check
// of the manifests still holds, but the one-tag rule, which two releases
// side by side break by design (checkWorkerVersions ties each worker's tag
// to its version).
func TestWorkerVersionsSideBySide(t *testing.T) {
	const b = "99.0.0"
	text, err := os.ReadFile(filepath.Join(versionDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a := readVersion(t, string(text))
	if a == b {
		t.Fatalf("the committed version is %s, the test's B: pick another B", b)
	}
	// What the README's sed does.
	edited := strings.ReplaceAll(strings.ReplaceAll(string(text), versionSuffix(a), versionSuffix(b)), a, b)
	if readVersion(t, edited) != b {
		t.Fatalf("the edited kustomization does not render %s:\n%s", b, edited)
	}
	// The kustomization, edited, beside a copy of workers/.
	fsys := filesys.MakeFsInMemory()
	files, err := filepath.Glob(filepath.Join(workersDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := fsys.WriteFile(filepath.Join("/k8s", f), data); err != nil {
			t.Fatal(err)
		}
	}
	if err := fsys.WriteFile(filepath.Join("/k8s", versionDir, "kustomization.yaml"), []byte(edited)); err != nil {
		t.Fatal(err)
	}
	base, rendered := load(t), render(t, fsys, filepath.Join("/k8s", versionDir))
	checkVersionRender(t, base, rendered, b)

	both := load(t)
	checkSideBySide(t, both, rendered, b)
	for _, q := range workerQueues {
		pdb := "worker-" + q
		for _, d := range []string{"worker-" + q, "worker-" + q + versionSuffix(b)} {
			if ok, err := selects(both.pdbs[pdb].Spec.Selector, both.deployments[d].Spec.Template.Labels); err != nil || !ok {
				t.Errorf("PodDisruptionBudget/%s does not cover Deployment/%s's pods (%v)", pdb, d, err)
			}
		}
	}
}

// kedaComponent is components/keda as worker-version/ names it.
const kedaComponent = "../" + componentsDir + "/keda"

// TestWorkerVersionFollowsProduction: worker-version/ renders a version's
// autoscalers as production runs them: ScaledObjects when
// overlays/production lists components/keda, HPAs otherwise.
func TestWorkerVersionFollowsProduction(t *testing.T) {
	var wv, prod struct {
		Components []string `json:"components"`
	}
	for file, into := range map[string]any{filepath.Join(versionDir, "kustomization.yaml"): &wv, "overlays/production/kustomization.yaml": &prod} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(text, into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	if a, b := slices.Contains(wv.Components, kedaComponent), slices.Contains(prod.Components, "../../"+componentsDir+"/keda"); a != b {
		t.Errorf("worker-version/ lists components/keda: %v, overlays/production: %v; a new version would autoscale unlike the first", a, b)
	}
}

// TestWorkerVersionWithKEDA is TestWorkerVersionsSideBySide's rollout with
// components/keda: the README's sed moves the ScaledObjects' build ID to B
// with everything else, and worker-version/, its components line
// uncommented, renders B's ScaledObjects (renamed with the Deployments)
// instead of HPAs, beside A's; every check holds on both together.
func TestWorkerVersionWithKEDA(t *testing.T) {
	const b = "99.0.0"
	text, err := os.ReadFile(filepath.Join(versionDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a := readVersion(t, string(text))
	sed := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, versionSuffix(a), versionSuffix(b)), a, b)
	}
	edited := sed(strings.Replace(string(text), "# components: ["+kedaComponent+"]", "components: ["+kedaComponent+"]", 1))
	if !strings.Contains(edited, "\ncomponents: ") {
		t.Fatalf("%s/kustomization.yaml has no `# components: [%s]` line to uncomment", versionDir, kedaComponent)
	}
	readVersion(t, edited)
	fsys := memK8s(t)
	files, err := filepath.Glob(filepath.Join(componentsDir, "keda", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := fsys.WriteFile(filepath.Join("/k8s", f), []byte(sed(string(data)))); err != nil {
			t.Fatal(err)
		}
	}
	if err := fsys.WriteFile(filepath.Join("/k8s", versionDir, "kustomization.yaml"), []byte(edited)); err != nil {
		t.Fatal(err)
	}
	rendered := render(t, fsys, filepath.Join("/k8s", versionDir))
	var want []string
	for _, q := range workerQueues {
		want = append(want, "Deployment/worker-"+q+versionSuffix(b), "ScaledObject/worker-"+q+versionSuffix(b))
	}
	slices.Sort(want)
	if got := sortedKeys(rendered.objects); !slices.Equal(got, want) {
		t.Fatalf("worker-version/ with KEDA renders %v, want %v", got, want)
	}
	checkSideBySide(t, renderWith(t, "keda"), rendered, b)
}

// checkSideBySide adds version b's rendered workers to running and runs
// every check on both versions at once, but the one that wants a single
// image tag: two versions must be able to run side by side.
func checkSideBySide(t *testing.T, running, rendered *set, b string) {
	t.Helper()
	for _, key := range sortedKeys(rendered.objects) {
		if err := running.add("kustomize build "+versionDir+" as "+b, rendered.objects[key]); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range checks {
		if c.name == "images" {
			continue
		}
		for _, err := range c.run(running) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
