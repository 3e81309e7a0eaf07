#!/usr/bin/env bash
# Prepares one lab VM as a Kubernetes node: containerd, kubeadm/kubelet/kubectl, bpffs, and the pod network
# (a bridge CNI on a static pod CIDR, plus routes to the other nodes' pod CIDRs). Runs on every node, as root,
# before the control plane is initialised or the worker joins. Idempotent: a second run changes nothing.
# Environment (from the Vagrantfile): NODE_NAME, NODE_IP, POD_CIDR (this node's), POD_NETWORK (all nodes'
# pod CIDRs), NODE_NETWORK (the private network), CLUSTER_NODES ("name,ip,cidr ..."), KUBERNETES_MINOR (v1.34).
set -euo pipefail
: "${NODE_NAME:?}" "${NODE_IP:?}" "${POD_CIDR:?}" "${POD_NETWORK:?}" "${NODE_NETWORK:?}" "${CLUSTER_NODES:?}" "${KUBERNETES_MINOR:?}"
log() { echo "[node.sh $NODE_NAME] $*"; }
export DEBIAN_FRONTEND=noninteractive

log "kernel settings: no swap, forwarding on"
swapoff -a
sed -ri '/\sswap\s/s/^([^#])/#\1/' /etc/fstab
cat > /etc/modules-load.d/sluice-lab.conf <<'MODULES'
overlay
br_netfilter
MODULES
modprobe overlay
modprobe br_netfilter
cat > /etc/sysctl.d/90-sluice-lab.conf <<'SYSCTL'
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
SYSCTL
sysctl --quiet --system

log "packages: containerd, iptables, tools"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  containerd ca-certificates curl gpg iptables iproute2 conntrack socat jq >/dev/null

log "containerd: systemd cgroup driver, CNI plugins from /opt/cni/bin"
mkdir -p /etc/containerd
if [ ! -f /etc/containerd/config.toml ] || ! grep -q 'SystemdCgroup = true' /etc/containerd/config.toml; then
  containerd config default > /etc/containerd/config.toml
  sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
fi
sed -ri 's#^(\s*bin_dir\s*=\s*).*#\1"/opt/cni/bin"#' /etc/containerd/config.toml

log "Kubernetes $KUBERNETES_MINOR packages: kubelet, kubeadm, kubectl, CNI plugins"
if [ ! -f /etc/apt/sources.list.d/kubernetes.list ] || ! grep -q "/$KUBERNETES_MINOR/" /etc/apt/sources.list.d/kubernetes.list; then
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL "https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/Release.key" \
    | gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/ /" \
    > /etc/apt/sources.list.d/kubernetes.list
  apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends kubelet kubeadm kubectl kubernetes-cni >/dev/null
apt-mark hold kubelet kubeadm kubectl >/dev/null

# The sandbox (pause) image containerd uses must be the one this kubeadm expects.
pause_image=$(kubeadm config images list --kubernetes-version "$(kubeadm version -o short)" 2>/dev/null | grep /pause: || true)
if [ -n "$pause_image" ]; then
  sed -ri "s#^(\s*sandbox_image\s*=\s*).*#\1\"$pause_image\"#" /etc/containerd/config.toml
fi
systemctl restart containerd
systemctl enable --quiet containerd

# The kubelet must advertise the private network address, not the NAT interface's.
echo "KUBELET_EXTRA_ARGS=--node-ip=$NODE_IP" > /etc/default/kubelet
systemctl enable --quiet kubelet

log "bpffs at /sys/fs/bpf (Sluice pins its maps there; the DaemonSet does not mount it itself)"
# systemd mounts it on Debian 12; an fstab line is added only where it did not.
if ! mount -t bpf | grep -q ' /sys/fs/bpf '; then
  mount -t bpf bpf /sys/fs/bpf
  grep -q '^bpf /sys/fs/bpf ' /etc/fstab || echo 'bpf /sys/fs/bpf bpf defaults 0 0' >> /etc/fstab
fi

log "pod network: bridge cni0 on $POD_CIDR"
# No masquerading inside the cluster (ipMasq false): NetworkPolicy needs the pods' real source addresses
# on every node. The kubernetes-cni package provides the bridge, host-local and loopback plugins.
mkdir -p /etc/cni/net.d
cat > /etc/cni/net.d/10-sluice-lab.conflist <<CNI
{
  "cniVersion": "1.0.0",
  "name": "sluice-lab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    }
  ]
}
CNI

# Routes to the other nodes' pod CIDRs, and masquerading for pod traffic that leaves the lab (the NAT
# interface), kept by a systemd unit so that they come back after a reboot.
other_routes=""
for entry in $CLUSTER_NODES; do
  IFS=, read -r name ip cidr <<< "$entry"
  [ "$name" = "$NODE_NAME" ] && continue
  other_routes+="ip route replace $cidr via $ip"$'\n'
done
cat > /usr/local/sbin/sluice-lab-network <<SCRIPT
#!/usr/bin/env bash
# Written by vagrant/provision/node.sh. Routes to the other lab nodes' pod CIDRs; masquerading only for pod
# traffic leaving the lab: between pods and nodes the source address is kept, as NetworkPolicy needs it.
set -euo pipefail
${other_routes}iptables -t nat -N SLUICE-LAB-EGRESS 2>/dev/null || iptables -t nat -F SLUICE-LAB-EGRESS
iptables -t nat -A SLUICE-LAB-EGRESS -d $POD_NETWORK -j RETURN
iptables -t nat -A SLUICE-LAB-EGRESS -d $NODE_NETWORK -j RETURN
iptables -t nat -A SLUICE-LAB-EGRESS -j MASQUERADE
iptables -t nat -C POSTROUTING -s $POD_NETWORK -j SLUICE-LAB-EGRESS 2>/dev/null \\
  || iptables -t nat -A POSTROUTING -s $POD_NETWORK -j SLUICE-LAB-EGRESS
SCRIPT
chmod 0755 /usr/local/sbin/sluice-lab-network
cat > /etc/systemd/system/sluice-lab-network.service <<'UNIT'
[Unit]
Description=Sluice lab: routes to the other nodes' pod CIDRs and egress masquerading
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/sluice-lab-network

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --quiet sluice-lab-network
systemctl restart sluice-lab-network

log "images: load the Sluice image archive if one was copied in"
# Without a registry holding the image, build it on the host and save it as vagrant/images/sluice.tar
# (see vagrant/README.md); it is imported into containerd's Kubernetes namespace on every node.
if [ -f /sluice/vagrant/images/sluice.tar ]; then
  ctr --namespace k8s.io images import /sluice/vagrant/images/sluice.tar >/dev/null
  log "imported /sluice/vagrant/images/sluice.tar"
fi
log "ready"
