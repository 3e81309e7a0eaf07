#!/usr/bin/env bash
# CI check of the deployment files (deploy/ and vagrant/), fast and without a cluster or VMs:
#   1. shell syntax (bash -n) of the lab's provisioning scripts, its smoke test and deploy/*.sh;
#   2. `vagrant validate` of vagrant/Vagrantfile (Debian package vagrant);
#   3. the manifests, the Prometheus job and the Grafana dashboard parse (Debian package python3-yaml),
#      and keep the properties deploy/README.md promises: read-only RBAC on exactly the watched kinds, an
#      unprivileged DaemonSet with exactly the documented capabilities, probes and metrics on one port,
#      a ConfigMap with only the agent's known settings, a dashboard panel for every agent metric, and an image whose
#      runtime stage trains the shipped AOT cache last (`sluice aot-train`).
# Outside CI a missing tool is reported and its step skipped; with CI=true it fails the check.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

missing_tool() {
  if [ "${CI:-}" = true ]; then
    echo "deploy/check.sh: FAIL: $1" >&2
    exit 1
  fi
  echo "deploy/check.sh: NOTE: skipped: $1"
}

echo "deploy/check.sh: 1. bash -n"
shopt -s nullglob
scripts=(vagrant/provision/*.sh vagrant/smoke-test.sh deploy/*.sh)
[ -f vagrant/smoke-test.sh ] && [ "${#scripts[@]}" -gt 2 ] || { echo "deploy/check.sh: FAIL: lab scripts not found under vagrant/" >&2; exit 1; }
for script in "${scripts[@]}"; do
  bash -n "$script" || { echo "deploy/check.sh: FAIL: shell syntax error in $script" >&2; exit 1; }
done
echo "  ${#scripts[@]} scripts parse"

echo "deploy/check.sh: 2. vagrant validate"
if command -v vagrant >/dev/null 2>&1; then
  # --ignore-provider: no VirtualBox or libvirt here; the rest (boxes, synced folders, provisioner paths) is checked.
  if ! out=$(cd vagrant && vagrant validate --ignore-provider 2>&1); then
    echo "$out" >&2
    echo "deploy/check.sh: FAIL: vagrant validate refused vagrant/Vagrantfile" >&2
    exit 1
  fi
  echo "  vagrant/Vagrantfile validated"
else
  missing_tool "vagrant validate: the vagrant command is missing (apt-get install vagrant)"
fi

echo "deploy/check.sh: 3. manifests, Prometheus job, Grafana dashboard"
python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' 2>/dev/null; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  missing_tool "manifest checks: no python3 with the yaml module (apt-get install python3-yaml)"
  exit 0
fi

"$python" - <<'EOF'
import glob, json, re, sys
import yaml

problems = []
def check(condition, message):
    if not condition:
        problems.append(message)
    return condition

def load_all(path):
    try:
        with open(path) as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        problems.append(f"{path}: not valid YAML: {e}")
        return []

# --- deploy/kubernetes: every document parses and names itself ---
objects = {}
for path in sorted(glob.glob("deploy/kubernetes/*.yaml")):
    docs = load_all(path)
    check(docs, f"{path}: no Kubernetes object in it")
    for d in docs:
        where = f"{path}: {d.get('kind', '?')}/{(d.get('metadata') or {}).get('name', '?')}"
        if not (check(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and (d.get("metadata") or {}).get("name"),
                      f"{path}: a document without apiVersion, kind or metadata.name")):
            continue
        check(d["kind"] in ("ClusterRole", "ClusterRoleBinding") or d["metadata"].get("namespace") == "kube-system",
              f"{where}: must be in namespace kube-system")
        check(d["kind"] not in objects, f"{where}: a second {d['kind']} (the checks expect one of each)")
        objects[d["kind"]] = (path, d)

def obj(kind):
    if kind not in objects:
        problems.append(f"deploy/kubernetes: no {kind}")
        return None, {}
    return objects[kind]

# --- RBAC: get/list/watch on exactly the kinds the agent watches ---
WATCHED = {("", "services"), ("", "pods"), ("", "namespaces"), ("", "nodes"),
           ("discovery.k8s.io", "endpointslices"), ("networking.k8s.io", "networkpolicies")}
path, role = obj("ClusterRole")
granted = set()
for i, rule in enumerate(role.get("rules") or []):
    extra = set(rule.get("verbs") or []) - {"get", "list", "watch"}
    check(not extra, f"{path}: rules[{i}] grants {sorted(extra)}: the agent only reads (get, list, watch)")
    check(set(rule.get("verbs") or []) == {"get", "list", "watch"}, f"{path}: rules[{i}] must grant get, list and watch (informers list then watch)")
    check(not rule.get("resourceNames") and not rule.get("nonResourceURLs"), f"{path}: rules[{i}]: no resourceNames/nonResourceURLs expected")
    for g in rule.get("apiGroups") or []:
        for r in rule.get("resources") or []:
            granted.add((g, r))
check(granted == WATCHED, f"{path}: grants {sorted(granted)}, expected exactly {sorted(WATCHED)}")
path, sa = obj("ServiceAccount")
path, binding = obj("ClusterRoleBinding")
check((binding.get("roleRef") or {}).get("name") == (role.get("metadata") or {}).get("name"),
      f"{path}: roleRef must name the ClusterRole {(role.get('metadata') or {}).get('name')}")
check({"kind": "ServiceAccount", "name": sa.get("metadata", {}).get("name"), "namespace": "kube-system"} in (binding.get("subjects") or []),
      f"{path}: must bind the ServiceAccount kube-system/{sa.get('metadata', {}).get('name')}")

# --- the agent's ConfigMap: valid YAML with only known settings ---
path, cm = obj("ConfigMap")
config_text = (cm.get("data") or {}).get("config.yaml")
config = {}
if check(config_text is not None, f"{path}: data.config.yaml missing"):
    try:
        config = yaml.safe_load(config_text) or {}
    except yaml.YAMLError as e:
        problems.append(f"{path}: data.config.yaml is not valid YAML: {e}")
known_file = "agent/src/main/java/io/sluice/agent/config/AgentConfig.java"
try:
    source = open(known_file).read()
    m = re.search(r"KNOWN_SETTINGS\s*=\s*Set\.of\(([^)]*)\)", source)
    known = set(re.findall(r'"([A-Za-z]+)"', m.group(1))) if m else None
except OSError:
    known = None
if check(known, f"{known_file}: cannot read the agent's KNOWN_SETTINGS to check {path} against"):
    unknown = set(config) - known
    check(not unknown, f"{path}: config.yaml has settings the agent refuses: {sorted(unknown)} (known: {sorted(known)})")
metrics_address = str(config.get("metricsAddress", ""))
m = re.fullmatch(r"(.+):(\d+)", metrics_address)
metrics_port = int(m.group(2)) if m else None
check(m is not None and metrics_port == 9964 and m.group(1) in ("0.0.0.0", "[::]"),
      f"{path}: metricsAddress must listen on every node address at port 9964 (Prometheus and the kubelet reach it at the node's address), got {metrics_address!r}")

# --- the DaemonSet ---
path, ds = obj("DaemonSet")
pod = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
pod_labels = (((ds.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
check(pod.get("serviceAccountName") == sa.get("metadata", {}).get("name"), f"{path}: serviceAccountName must be the ServiceAccount's name")
check(pod.get("hostNetwork") is True, f"{path}: hostNetwork must be true (the agent programs the node's own network)")
check(pod.get("hostPID") is not True, f"{path}: hostPID must not be true")
check(pod.get("dnsPolicy") == "Default", f"{path}: dnsPolicy must be Default: the cluster DNS is a Service this agent serves")
check({"operator": "Exists"} in (pod.get("tolerations") or []), f"{path}: needs a toleration {{operator: Exists}} to run on every node")
containers = pod.get("containers") or []
check(len(containers) == 1, f"{path}: expected exactly one container")
c = containers[0] if containers else {}
volumes = {v.get("name"): v for v in pod.get("volumes") or []}
mounts = {m.get("name"): m for m in c.get("volumeMounts") or []}
sc = c.get("securityContext") or {}
caps = sc.get("capabilities") or {}
check(sc.get("privileged") is not True, f"{path}: the agent must not be privileged")
check(set(caps.get("add") or []) == {"BPF", "NET_ADMIN", "PERFMON", "SYS_ADMIN"},
      f"{path}: capabilities.add must be exactly BPF, NET_ADMIN, PERFMON, SYS_ADMIN (each documented), got {caps.get('add')}")
check("ALL" in (caps.get("drop") or []), f"{path}: capabilities.drop must contain ALL")
check(not ("SYS_ADMIN" in (caps.get("add") or []) and sc.get("allowPrivilegeEscalation") is False),
      f"{path}: allowPrivilegeEscalation false next to SYS_ADMIN is refused by the API (as CAP_SYS_ADMIN) and protects nothing")
for name, m in mounts.items():
    check(name in volumes, f"{path}: volumeMount {name} has no volume")
    check(m.get("mountPropagation") != "Bidirectional", f"{path}: volumeMount {name}: Bidirectional propagation needs a privileged container")
for name in volumes:
    check(name in mounts, f"{path}: volume {name} is not mounted")
def host_mount(host_path):
    for name, v in volumes.items():
        if (v.get("hostPath") or {}).get("path") == host_path:
            return v, mounts.get(name, {})
    problems.append(f"{path}: no hostPath volume for {host_path}")
    return {}, {}
v, m = host_mount("/sys/fs/bpf")
check(m.get("mountPath") == "/sys/fs/bpf", f"{path}: the host's bpffs must be mounted at /sys/fs/bpf")
check(str(config.get("bpffsPinDir", "")).startswith(m.get("mountPath", "?") + "/"), f"{path}: bpffsPinDir of the ConfigMap must lie on the bpffs mount")
v, m = host_mount("/sys/fs/cgroup")
check(m.get("readOnly") is True, f"{path}: the host's cgroup v2 tree must be mounted read-only")
v, m = host_mount("/var/lib/sluice")
check((v.get("hostPath") or {}).get("type") == "DirectoryOrCreate", f"{path}: /var/lib/sluice must be a DirectoryOrCreate hostPath")
check(m.get("mountPath") == config.get("stateDir"), f"{path}: the state volume must be mounted at the ConfigMap's stateDir")
cmd = (c.get("command") or []) + (c.get("args") or [])
check(cmd[-3:] == ["agent", "--config", "/etc/sluice/config.yaml"], f"{path}: the container must run `sluice agent --config /etc/sluice/config.yaml`, got {cmd}")
config_volume = next((n for n, v in volumes.items() if (v.get("configMap") or {}).get("name") == cm.get("metadata", {}).get("name")), None)
check(config_volume and mounts.get(config_volume, {}).get("mountPath") == "/etc/sluice", f"{path}: the ConfigMap must be mounted at /etc/sluice")
ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
check(ports.get("metrics") == metrics_port, f"{path}: container port 'metrics' must be the ConfigMap's metrics port {metrics_port}")
for probe, want in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
    get = (c.get(probe) or {}).get("httpGet") or {}
    check(get.get("path") == want, f"{path}: {probe} must GET {want}")
    port = get.get("port")
    check(ports.get(port, port) == metrics_port, f"{path}: {probe} must use the metrics port {metrics_port}")
res = c.get("resources") or {}
for kind in ("requests", "limits"):
    check({"cpu", "memory"} <= set(res.get(kind) or {}), f"{path}: resources.{kind} must set cpu and memory")
env = {e.get("name"): e for e in c.get("env") or []}
check(((env.get("NODE_NAME") or {}).get("valueFrom") or {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName",
      f"{path}: NODE_NAME must come from the downward API (spec.nodeName)")
for name in ("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
    check("configMapKeyRef" in ((env.get(name) or {}).get("valueFrom") or {}), f"{path}: {name} must come from a ConfigMap (the API server's real address)")
dockerfile = open("deploy/Dockerfile").read()
check(c.get("image", "") in dockerfile, f"{path}: image {c.get('image')} is not the name deploy/Dockerfile documents")
check(f'ENTRYPOINT ["{(c.get("command") or ["?"])[0]}"]' in dockerfile, f"{path}: command[0] must be the image's ENTRYPOINT in deploy/Dockerfile")

# --- the image's shipped AOT cache: trained last in the runtime stage, by its runtime, on the files as they ship ---
runtime_stage = re.split(r"(?m)^FROM\b", dockerfile)[-1]
steps = [line.strip() for line in re.sub(r"\\\n", " ", runtime_stage).splitlines() if line.strip() and not line.strip().startswith("#")]
train = [i for i, step in enumerate(steps) if step == "RUN /opt/sluice/bin/sluice aot-train"]
if check(len(train) == 1, "deploy/Dockerfile: the runtime stage must run `RUN /opt/sluice/bin/sluice aot-train` once (the shipped AOT cache)"):
    copies = [i for i, step in enumerate(steps) if re.match(r"(COPY|ADD)\b", step)]
    check(any(i < train[0] and "/opt/sluice" in steps[i] for i in copies), "deploy/Dockerfile: aot-train must come after the agent is copied to /opt/sluice")
    check(not any(i > train[0] for i in copies), "deploy/Dockerfile: nothing may be copied after aot-train (the JVM refuses a cache whose jar files changed)")
    check(any(i < train[0] and step.startswith("ENV") and "JAVA_HOME=/opt/sluice/jre" in step for i, step in enumerate(steps)),
          "deploy/Dockerfile: JAVA_HOME=/opt/sluice/jre must be set before aot-train (the cache is made by the runtime that uses it)")
    check(not any(i > train[0] and step.startswith("ENV") and "JAVA_HOME" in step for i, step in enumerate(steps)),
          "deploy/Dockerfile: JAVA_HOME may not change after aot-train")

# --- Prometheus ---
path = "deploy/prometheus/scrape-config.yaml"
docs = load_all(path)
jobs = [j for d in docs for j in (d or {}).get("scrape_configs") or [] if j.get("job_name") == "sluice"]
if check(len(jobs) == 1, f"{path}: expected one scrape job named sluice"):
    job = jobs[0]
    sd = job.get("kubernetes_sd_configs") or []
    check(sd and sd[0].get("role") in ("pod", "node"), f"{path}: the job must use kubernetes_sd_configs with role pod or node")
    replacements = [r.get("replacement", "") for r in job.get("relabel_configs") or [] if r.get("target_label") == "__address__"]
    check(any(str(r).endswith(f":{metrics_port}") for r in replacements), f"{path}: __address__ must be relabelled to port {metrics_port}")
    keeps = [r for r in job.get("relabel_configs") or [] if r.get("action") == "keep"
             and r.get("source_labels") == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]]
    check(keeps and keeps[0].get("regex") == pod_labels.get("app.kubernetes.io/name"), f"{path}: must keep the pods labelled like the DaemonSet's")
    check(any(r.get("target_label") == "node" for r in job.get("relabel_configs") or []), f"{path}: must set the node label the dashboard selects on")

# --- Grafana ---
path = "deploy/grafana/sluice-dashboard.json"
try:
    dashboard = json.load(open(path))
except ValueError as e:
    problems.append(f"{path}: not valid JSON: {e}")
    dashboard = {}
panels = [p for p in dashboard.get("panels") or [] if p.get("type") != "row"]
exprs = " ".join(t.get("expr", "") for p in panels for t in p.get("targets") or [])
for metric in ("sluice_events_received_total", "sluice_sync_duration_seconds_bucket", "sluice_event_to_map_latency_seconds_bucket",
               "sluice_map_operations_total", "sluice_map_errors_total", "sluice_map_entries", "sluice_objects_refused_total",
               "sluice_datapath_packets_total", "sluice_policy_drops_total"):
    check(re.search(re.escape(metric) + r"\b", exprs), f"{path}: no panel queries {metric}")
for q, name in (("0.5", "p50"), ("0.99", "p99")):
    check(f"histogram_quantile({q}, sum by (le) (rate(sluice_event_to_map_latency_seconds_bucket" in exprs,
          f"{path}: the event-to-map latency panel must show {name}")
ids = [p.get("id") for p in dashboard.get("panels") or []]
check(len(ids) == len(set(ids)), f"{path}: panel ids must be unique")
for p in panels:
    check((p.get("datasource") or {}).get("uid") == "${datasource}", f"{path}: panel {p.get('title')!r} must use the $datasource variable")

if problems:
    for p in problems:
        print(f"deploy/check.sh: FAIL: {p}", file=sys.stderr)
    sys.exit(1)
print(f"  {len(objects)} Kubernetes objects, the Prometheus job and {len(panels)} dashboard panels check out")
EOF
echo "deploy/check.sh: passed"
