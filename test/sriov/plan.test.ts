import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { UserError } from "../../src/lib/errors.ts";
import { classifyInventory, netFilterFor } from "../../src/sriov/classify.ts";
import { crossCheck } from "../../src/sriov/crosscheck.ts";
import { CAPA_ROLE_TAG, isControlPlane } from "../../src/sriov/gather.ts";
import {
  dnsLabel,
  type GenerateOptions,
  mechanismFor,
  parseOcpVersion,
  planSriov,
  resourceNameFor,
} from "../../src/sriov/generate.ts";
import { instanceIdFromProviderId } from "../../src/sriov/inventory.ts";
import { eni, instance, inventory, simpleWorld } from "./inventory-builder.ts";

const OPTS: GenerateOptions = {
  ocpVersion: "4.22",
  deviceType: "netdevice",
  networkKind: "nad",
  nodeSelectorLabel: "node-role.kubernetes.io/worker-rt",
  networkNamespace: "low-latency-workshop",
};

describe("classify: each interface gets a role and a reason", () => {
  it("primary (device 0 on card 0) is never used", () => {
    const { inv } = simpleWorld(0);
    const det = classifyInventory(inv);
    assert.equal(det.nodes[0]!.interfaces[0]!.role, "primary");
    assert.match(det.nodes[0]!.interfaces[0]!.reason, /carries the cluster network/);
  });

  it("an extra ENA ENI on its own subnet is usable, and counted per data subnet", () => {
    const { inv } = simpleWorld(2);
    const det = classifyInventory(inv);
    assert.deepEqual(
      det.nodes[0]!.interfaces.map((i) => i.role),
      ["primary", "usable", "usable"],
    );
    assert.equal(det.totals.usable, 2);
    assert.equal(det.dataSubnets.length, 1);
    assert.equal(det.dataSubnets[0]!.netFilter, "aws/NetworkID:0data1");
    assert.equal(det.dataSubnets[0]!.name, "demo-sriov-a");
    assert.equal(det.nodes[0]!.freeSlots, 12);
  });

  it("EFA and EFA-only interfaces are not usable by the operator", () => {
    const w = instance("c5n.metal");
    const enis = [
      eni(w, 0, "subnet-0cluster"),
      eni(w, 1, "subnet-0data1", { interfaceType: "efa" }),
      eni(w, 2, "subnet-0data1", { interfaceType: "efa-only" }),
    ];
    const det = classifyInventory(inventory([w], enis));
    assert.deepEqual(
      det.nodes[0]!.interfaces.map((i) => i.role),
      ["primary", "efa", "efa"],
    );
    assert.match(det.nodes[0]!.interfaces[2]!.reason, /EFA-only/);
    assert.ok(det.advice.some((a) => /EFA interfaces cannot be used/.test(a)));
  });

  it("an ENI on the cluster's own subnet would let a netFilter match the primary: not usable", () => {
    const w = instance("c5.metal");
    const det = classifyInventory(
      inventory([w], [eni(w, 0, "subnet-0cluster"), eni(w, 1, "subnet-0cluster")]),
    );
    assert.equal(det.nodes[0]!.interfaces[1]!.role, "shared-subnet");
    assert.equal(det.totals.usable, 0);
  });

  it("trunk interfaces and attachments in transition are unusable, with why", () => {
    const w = instance("c5.metal");
    const det = classifyInventory(
      inventory(
        [w],
        [
          eni(w, 0, "subnet-0cluster"),
          eni(w, 1, "subnet-0data1", { interfaceType: "trunk" }),
          eni(w, 2, "subnet-0data1", { attachmentStatus: "attaching" }),
        ],
      ),
    );
    const [, trunk, attaching] = det.nodes[0]!.interfaces;
    assert.equal(trunk!.role, "unusable");
    assert.match(trunk!.reason, /"trunk"/);
    assert.equal(attaching!.role, "unusable");
    assert.match(attaching!.reason, /attaching; wait/);
  });

  it("extra ENIs of a non-metal worker are reported as not on a metal instance", () => {
    const w = instance("m5.xlarge");
    const det = classifyInventory(inventory([w], [eni(w, 0, "subnet-0cluster"), eni(w, 1, "subnet-0data1")]));
    assert.equal(det.nodes[0]!.metal, false);
    assert.equal(det.nodes[0]!.interfaces[1]!.role, "not-metal");
    assert.equal(det.totals.metalNodes, 0);
    assert.match(det.advice[0]!, /no metal workers/);
  });

  it("an unknown instance type is noted and its interfaces are not called usable", () => {
    const w = instance("x9.metal");
    const det = classifyInventory(inventory([w], [eni(w, 0, "subnet-0cluster"), eni(w, 1, "subnet-0data1")]));
    assert.match(det.nodes[0]!.notes[0]!, /was not described by EC2/);
    assert.notEqual(det.nodes[0]!.interfaces[1]!.role, "usable");
  });

  it("each node carries its type's facts: bare metal, ENA, EFA, maximum interfaces and cards", () => {
    const w = instance("c5n.metal");
    const det = classifyInventory(inventory([w], [eni(w, 0, "subnet-0cluster")]));
    assert.deepEqual(det.nodes[0]!.typeFacts, {
      bareMetal: true,
      enaSupport: "required",
      efaSupported: true,
      maximumEfaInterfaces: 1,
      maximumNetworkInterfaces: 15,
      maximumNetworkCards: 1,
    });
    const unknown = classifyInventory(inventory([instance("x9.metal")], []));
    assert.equal(unknown.nodes[0]!.typeFacts, undefined);
  });

  it("a metal type without ENA support has no usable interface, and says why", () => {
    const w = instance("z1.metal");
    const inv = inventory([w], [eni(w, 0, "subnet-0cluster"), eni(w, 1, "subnet-0data1")]);
    inv.instanceTypes = [
      ...inv.instanceTypes,
      {
        instanceType: "z1.metal",
        bareMetal: true,
        enaSupport: "unsupported",
        efaSupported: false,
        maximumNetworkInterfaces: 8,
        maximumNetworkCards: 1,
      },
    ];
    const det = classifyInventory(inv);
    assert.equal(det.nodes[0]!.interfaces[1]!.role, "unusable");
    assert.match(det.nodes[0]!.interfaces[1]!.reason, /no ENA support \(EnaSupport: unsupported\)/);
    assert.match(det.nodes[0]!.notes.join(" "), /does not support ENA/);
    assert.equal(det.totals.usable, 0);
    assert.equal(det.dataSubnets.length, 0);
  });

  it("a stopped metal worker is noted; detached ENIs are listed apart", () => {
    const w = instance("c5.metal", { state: "stopped" });
    const det = classifyInventory(
      inventory([w], [eni(w, 0, "subnet-0cluster"), eni(undefined, 0, "subnet-0data1")]),
    );
    assert.match(det.nodes[0]!.notes.join(" "), /instance is stopped/);
    assert.equal(det.detached.length, 1);
    assert.equal(det.detached[0]!.role, "detached");
    assert.ok(det.advice.some((a) => /attach-network-interface/.test(a)));
  });

  it("an ENI whose attachment is 'detached' but still names its instance counts as detached, not attached to it", () => {
    // EC2 keeps Attachment.InstanceId on an ENI being (or just) detached, with Status "detached".
    const w = instance("c5.metal");
    const gone = eni(w, 1, "subnet-0data1", { attachmentStatus: "detached", status: "available" });
    const det = classifyInventory(inventory([w], [eni(w, 0, "subnet-0cluster"), gone]));
    assert.deepEqual(
      det.nodes[0]!.interfaces.map((i) => i.networkInterfaceId),
      [det.nodes[0]!.interfaces[0]!.networkInterfaceId],
      "only the primary is on the node",
    );
    assert.equal(det.nodes[0]!.attachedInterfaces, 1);
    assert.equal(det.nodes[0]!.usable, 0);
    assert.deepEqual(
      det.detached.map((d) => d.networkInterfaceId),
      [gone.networkInterfaceId],
    );
    assert.equal(det.totals.usable, 0);
  });

  it("lists nodes by the name they are shown with (node name, else private DNS name), not by instance id", () => {
    const b = instance("c5.metal", {
      instanceId: "i-00000000000000001",
      privateDnsName: "ip-10-0-0-2.ec2.internal",
    });
    const a = instance("c5.metal", {
      instanceId: "i-00000000000000002",
      privateDnsName: "ip-10-0-0-1.ec2.internal",
    });
    const det = classifyInventory(inventory([b, a], []));
    assert.deepEqual(
      det.nodes.map((n) => n.privateDnsName),
      ["ip-10-0-0-1.ec2.internal", "ip-10-0-0-2.ec2.internal"],
    );
  });

  it("orders interfaces by network card, then device index", () => {
    const w = instance("c5.metal");
    const det = classifyInventory(
      inventory(
        [w],
        [
          eni(w, 1, "subnet-0data1", { networkCardIndex: 1 }),
          eni(w, 2, "subnet-0data1"),
          eni(w, 0, "subnet-0cluster"),
          eni(w, 0, "subnet-0data2", { networkCardIndex: 1 }),
        ],
      ),
    );
    assert.deepEqual(
      det.nodes[0]!.interfaces.map((i) => `${i.networkCardIndex}/${i.deviceIndex}:${i.role}`),
      ["0/0:primary", "0/2:usable", "1/0:usable", "1/1:usable"],
    );
  });

  it("netFilter drops the subnet- prefix (property)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{8,17}$/), (id) => {
        assert.equal(netFilterFor(`subnet-${id}`), `aws/NetworkID:${id}`);
      }),
    );
  });
});

describe("generate: the mechanism follows the OpenShift version", () => {
  it("parses versions and picks the operator from 4.22", () => {
    assert.equal(mechanismFor(parseOcpVersion("4.19")), "host-device");
    assert.equal(mechanismFor(parseOcpVersion("4.21.9")), "host-device");
    assert.equal(mechanismFor(parseOcpVersion("v4.22.0-ec.2")), "operator");
    assert.equal(mechanismFor(parseOcpVersion("5.0")), "operator");
    assert.throws(() => parseOcpVersion("4.18"), /older than the workshop supports/);
    assert.throws(() => parseOcpVersion("latest"), UserError);
  });

  it("4.22+: one policy per data subnet with netFilter, numVfs 1 and the pool selector, plus one NAD per subnet and node with that node's ENI address (static IPAM)", () => {
    const w1 = instance("c5.metal");
    const w2 = instance("c5.metal");
    const inv = inventory(
      [w1, w2],
      [
        eni(w1, 0, "subnet-0cluster"),
        eni(w1, 1, "subnet-0data1"),
        eni(w1, 2, "subnet-0data2"),
        eni(w2, 0, "subnet-0cluster"),
        eni(w2, 1, "subnet-0data1"),
      ],
    );
    const plan = planSriov(classifyInventory(inv), OPTS);
    assert.equal(plan.mechanism, "operator");
    const policies = plan.objects.filter((o) => o.object.kind === "SriovNetworkNodePolicy");
    assert.equal(policies.length, 2);
    const p = policies.find((x) => x.file.includes("demo-sriov-a"))!.object as {
      spec: Record<string, unknown>;
    };
    assert.deepEqual(p.spec, {
      resourceName: "aws_demo_sriov_a",
      nodeSelector: { "node-role.kubernetes.io/worker-rt": "" },
      numVfs: 1,
      nicSelector: { netFilter: "aws/NetworkID:0data1" },
      deviceType: "netdevice",
    });
    const unnamed = policies.find((x) => x.file.includes("0data2"))!;
    assert.equal(unnamed.file, "sriov-network-node-policy-aws-0data2.yaml");
    const nads = plan.objects
      .filter((o) => o.object.kind === "NetworkAttachmentDefinition")
      .map(
        (o) => o.object as { metadata: { annotations: Record<string, string> }; spec: { config: string } },
      );
    assert.equal(nads.length, 3, "w1 on two subnets, w2 on one");
    const det = classifyInventory(inv);
    for (const ds of det.dataSubnets) {
      for (const i of ds.interfaces) {
        const nad = nads.find(
          (n) =>
            n.metadata.annotations["workshop.low-latency.io/eni"] === i.eni.networkInterfaceId &&
            n.metadata.annotations["workshop.low-latency.io/instance-id"] === i.instanceId,
        )!;
        assert.ok(nad, i.eni.networkInterfaceId);
        assert.equal(
          nad.metadata.annotations["k8s.v1.cni.cncf.io/resourceName"],
          `openshift.io/${ds.name ? `aws_${ds.name.replace(/-/g, "_")}` : "aws_0data2"}`,
        );
        const prefix = ds.cidrBlock!.split("/")[1];
        assert.deepEqual(JSON.parse(nad.spec.config), {
          cniVersion: "1.0.0",
          name: JSON.parse(nad.spec.config).name,
          type: "host-device",
          capabilities: { deviceID: true },
          ipam: { type: "static", addresses: [{ address: `${i.eni.privateIpAddress}/${prefix}` }] },
        });
      }
    }
    assert.ok(plan.explanation.some((e) => /once, when its config daemon first starts[\s\S]*reboot/.test(e)));
    assert.ok(plan.explanation.some((e) => /IMDSv2/.test(e)));
  });

  it("4.22+ vfio-pci: policies only (no attachment: a vfio device has no network interface), explained as DPDK in pods in no-IOMMU mode, not VM passthrough", () => {
    const { inv } = simpleWorld(1);
    const plan = planSriov(classifyInventory(inv), { ...OPTS, deviceType: "vfio-pci" });
    assert.deepEqual(
      plan.objects.map((o) => o.object.kind),
      ["SriovNetworkNodePolicy"],
    );
    assert.ok(plan.explanation.some((e) => /no-IOMMU mode[\s\S]*a VM cannot take the device/.test(e)));
    assert.ok(!plan.explanation.some((e) => /for DPDK and VMs/.test(e)));
  });

  it("4.19-4.21: one NAD per dedicated ENI with its MAC, its IP/prefix and its node", () => {
    const { inv, enis, worker } = simpleWorld(2);
    const plan = planSriov(classifyInventory(inv), { ...OPTS, ocpVersion: "4.20" });
    assert.equal(plan.mechanism, "host-device");
    assert.equal(plan.objects.length, 2);
    const nad = plan.objects[0]!.object as {
      metadata: { name: string; annotations: Record<string, string> };
      spec: { config: string };
    };
    assert.equal(nad.metadata.name, `aws-${worker.privateDnsName!.split(".")[0]}-eni1`);
    assert.equal(nad.metadata.annotations["workshop.low-latency.io/node"], worker.privateDnsName);
    const config = JSON.parse(nad.spec.config);
    assert.equal(config.hwaddr, enis[1]!.macAddress);
    assert.deepEqual(config.ipam, {
      type: "static",
      addresses: [{ address: `${enis[1]!.privateIpAddress}/24` }],
    });
    assert.ok(plan.explanation.some((e) => /no AWS platform support before 4\.22/.test(e)));
    assert.ok(
      plan.explanation.some((e) => /private DNS names/.test(e)),
      "says node names were assumed",
    );
  });

  it("4.19: uses the cluster's node name when known", () => {
    const w = instance("c5.metal", { nodeName: "worker-metal-0.example.com" });
    const inv = inventory([w], [eni(w, 0, "subnet-0cluster"), eni(w, 1, "subnet-0data1")]);
    const plan = planSriov(classifyInventory(inv), { ...OPTS, ocpVersion: "4.19" });
    const nad = plan.objects[0]!.object as {
      metadata: { name: string; annotations: Record<string, string> };
    };
    assert.equal(nad.metadata.name, "aws-worker-metal-0-eni1");
    assert.equal(nad.metadata.annotations["workshop.low-latency.io/node"], "worker-metal-0.example.com");
    assert.ok(!plan.explanation.some((e) => /private DNS names/.test(e)));
  });

  it("refuses what cannot work: vfio-pci on 4.19-4.21, and a SriovNetwork on any version (the sriov CNI needs a parent PF an ENA device lacks)", () => {
    const det = classifyInventory(simpleWorld(1).inv);
    assert.throws(
      () => planSriov(det, { ...OPTS, ocpVersion: "4.19", deviceType: "vfio-pci" }),
      /vfio-pci needs/,
    );
    for (const ocpVersion of ["4.21", "4.22", "4.23"]) {
      assert.throws(
        () => planSriov(det, { ...OPTS, ocpVersion, networkKind: "sriovnetwork" }),
        /sriovnetwork cannot work on AWS[\s\S]*parent physical function \(physfn\)/,
        ocpVersion,
      );
    }
  });

  it("refuses to generate with no metal workers or no usable interface, saying what to do", () => {
    const small = instance("m5.xlarge");
    assert.throws(
      () => planSriov(classifyInventory(inventory([small], [eni(small, 0, "subnet-0cluster")])), OPTS),
      (e: unknown) => e instanceof UserError && /no metal workers/.test(e.message),
    );
    assert.throws(
      () => planSriov(classifyInventory(simpleWorld(0).inv), OPTS),
      (e: unknown) =>
        e instanceof UserError &&
        /no usable dedicated interface/.test(e.message) &&
        /llw aws network up/.test(e.problems[0]!.next!),
    );
  });

  it("names are valid: DNS labels and operator resource names (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const l = dnsLabel(s);
        assert.match(l, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
        assert.ok(l.length <= 63);
        assert.match(resourceNameFor({ subnetId: "subnet-0abc", name: s }, "vfio-pci"), /^[a-zA-Z0-9_]+$/);
      }),
    );
  });
});

describe("cross-check against SriovNetworkNodeState", () => {
  function world() {
    const w = instance("c5.metal", { nodeName: "metal-0" });
    const enis = [eni(w, 0, "subnet-0cluster"), eni(w, 1, "subnet-0data1")];
    return { det: classifyInventory(inventory([w], enis)), enis };
  }

  it("4.22+: passes when the ENA device appears with the expected netFilter and totalvfs 1", () => {
    const { det, enis } = world();
    const states = [
      {
        nodeName: "metal-0",
        interfaces: [
          {
            name: "ens6",
            mac: enis[1]!.macAddress,
            netFilter: "aws/NetworkID:0data1",
            totalvfs: 1,
            numVfs: 1,
          },
        ],
      },
    ];
    assert.deepEqual(crossCheck(det, states, "operator"), []);
  });

  it("4.22+: an ENI the operator does not list is blamed on what really hides it: attached after the daemon read the node (reboot), or instance metadata it cannot read (IMDSv2)", () => {
    const { det, enis } = world();
    const none = crossCheck(det, [{ nodeName: "metal-0", interfaces: [] }], "operator")[0]!.message;
    assert.match(none, /not in SriovNetworkNodeState[\s\S]*IMDSv1[\s\S]*--imds optional/);
    const other = crossCheck(
      det,
      [
        {
          nodeName: "metal-0",
          interfaces: [{ name: "ens5", mac: enis[0]!.macAddress, netFilter: "aws/NetworkID:0cluster" }],
        },
      ],
      "operator",
    )[0]!.message;
    assert.match(other, /attached after the operator's config daemon listed this node's ENIs[\s\S]*reboot/);
    assert.doesNotMatch(other + none, /is this OpenShift 4\.22/);
  });

  it("4.22+: reports a missing device, a wrong netFilter, a wrong totalvfs and a configured primary", () => {
    const { det, enis } = world();
    assert.match(
      crossCheck(det, [{ nodeName: "metal-0", interfaces: [] }], "operator")[0]!.message,
      /not in SriovNetworkNodeState/,
    );
    const f = crossCheck(
      det,
      [
        {
          nodeName: "metal-0",
          interfaces: [
            { name: "ens5", mac: enis[0]!.macAddress, numVfs: 1 },
            {
              name: "ens6",
              mac: enis[1]!.macAddress.toUpperCase(),
              netFilter: "aws/NetworkID:other",
              totalvfs: 0,
            },
          ],
        },
      ],
      "operator",
    );
    assert.deepEqual(
      f.map((x) => x.severity),
      ["error", "error", "error"],
    );
    assert.match(f.map((x) => x.message).join("\n"), /primary interface ens5 is configured/);
    assert.match(
      f.map((x) => x.message).join("\n"),
      /netFilter is aws\/NetworkID:other, expected aws\/NetworkID:0data1/,
    );
    assert.match(f.map((x) => x.message).join("\n"), /totalvfs is 0, expected 1/);
    assert.match(crossCheck(det, [], "operator")[0]!.message, /no SriovNetworkNodeState/);
  });

  it("4.19-4.21: an ENA device in the node state is news (the operator supports AWS)", () => {
    const { det, enis } = world();
    const f = crossCheck(
      det,
      [{ nodeName: "metal-0", interfaces: [{ name: "ens6", mac: enis[1]!.macAddress }] }],
      "host-device",
    );
    assert.equal(f[0]!.severity, "info");
    assert.match(f[0]!.message, /consider --ocp-version 4\.22/);
  });
});

describe("control plane", () => {
  it("masters, their control-plane machine set replacements, bootstrap and CAPA control-plane roles are not workers", () => {
    for (const name of [
      "demo-x1k2p-master-0",
      "demo-x1k2p-master-k2x9p-0",
      "demo-x1k2p-master-2",
      "demo-x1k2p-bootstrap",
    ]) {
      assert.equal(isControlPlane({ Name: name }), true, name);
    }
    assert.equal(isControlPlane({ Name: "cp-2", [CAPA_ROLE_TAG]: "control-plane" }), true);
    assert.equal(isControlPlane({ Name: "demo-x1k2p-metal-1", [CAPA_ROLE_TAG]: "node" }), false);
    for (const name of [
      "demo-x1k2p-worker-metal-a-1",
      "demo-x1k2p-worker-us-east-1a-x",
      "demo-mastermind-1",
    ]) {
      assert.equal(isControlPlane({ Name: name }), false, name);
    }
    assert.equal(isControlPlane({}), false);
  });
});

describe("provider ids", () => {
  it("reads the instance id from a node's providerID", () => {
    assert.equal(instanceIdFromProviderId("aws:///us-east-2a/i-0abc123def4567890"), "i-0abc123def4567890");
    assert.equal(instanceIdFromProviderId("gce://p/z/n"), undefined);
    assert.equal(instanceIdFromProviderId(undefined), undefined);
  });
});
