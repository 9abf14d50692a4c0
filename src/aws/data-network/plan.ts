/**
 * Plans the data-network stack's parameters from what AWS says about the cluster. Pure: facts in,
 * parameters out. Re-running keeps every zone and worker in the slot it already has (and each
 * zone's CIDR), so an update never replaces a subnet or ENI that is still wanted.
 */
import { ProblemList } from "../../lib/errors.ts";
import { contains, formatCidr, freeBlocks, overlaps, parseCidr } from "../cidr.ts";
import { LIMITS, param } from "./template.ts";

export interface WorkerFact {
  instanceId: string;
  zone: string;
  instanceType: string;
  /** Device indexes in use by ENIs the stack did not create (0 = the primary ENI). */
  foreignDeviceIndexes: number[];
  /** Network interfaces the instance type allows (catalog or DescribeInstanceTypes). */
  maxInterfaces?: number;
}

export interface Inventory {
  infraId: string;
  vpcId: string;
  vpcCidrs: string[];
  /** Subnets of the VPC that the stack did not create. */
  subnets: { id: string; cidr: string; zone: string }[];
  workers: WorkerFact[];
  /** Parameters of the stack deployed before, if any. */
  current?: Record<string, string>;
}

export interface PlanOptions {
  interfacesPerWorker: number;
  attachWith: "cloudformation" | "ec2";
  /** Explicit CIDRs by zone (--cidr zone=cidr); others are chosen. */
  cidrs?: Record<string, string>;
  /** Prefix length of chosen data subnets. */
  subnetPrefix?: number;
}

export interface DataNetworkPlan {
  parameters: Record<string, string>;
  zones: { slot: number; zone: string; cidr: string }[];
  workers: { slot: number; instanceId: string; zone: string; deviceIndexes: number[] }[];
}

/**
 * Assigns items to numbered slots for the life of the stack: an item keeps the slot it had; a new
 * item first takes a slot its predecessor left (`inherits`: a replacement Machine's instance in the
 * same zone takes over the old one's slot, and so its subnet and ENIs), then a slot that was empty
 * before, and only then a slot another item left in this run. Nothing ever moves: a slot that falls
 * empty stays empty, because a moved item would need its resources replaced in place.
 */
export function assignSlots<T>(
  items: T[],
  key: (t: T) => string,
  previous: Map<string, number>,
  max: number,
  inherits: (item: T, vacatedSlot: number) => boolean = () => false,
): Map<number, T> {
  const slots = new Map<number, T>();
  const rest: T[] = [];
  for (const item of items) {
    const s = previous.get(key(item));
    if (s !== undefined && !slots.has(s)) slots.set(s, item);
    else rest.push(item);
  }
  const usedBefore = new Set(previous.values());
  const vacated = (s: number) => usedBefore.has(s) && !slots.has(s);
  const never = (s: number) => !usedBefore.has(s) && !slots.has(s);
  const free = (want: (s: number) => boolean) => {
    for (let s = 1; s <= max; s++) if (want(s)) return s;
    return undefined;
  };
  const later: T[] = [];
  for (const item of rest) {
    const s = free((x) => vacated(x) && inherits(item, x));
    if (s !== undefined) slots.set(s, item);
    else later.push(item);
  }
  for (const item of later) {
    const s = free(never) ?? free((x) => !slots.has(x));
    if (s !== undefined) slots.set(s, item);
  }
  return slots;
}

function previousSlots(
  current: Record<string, string> | undefined,
  name: (n: number) => string,
  max: number,
) {
  const m = new Map<string, number>();
  for (let s = 1; s <= max; s++) {
    const v = current?.[name(s)];
    if (v) m.set(v, s);
  }
  return m;
}

/** Problems with the options' shape alone: no facts from AWS needed. */
function shapeProblems(opts: Pick<PlanOptions, "interfacesPerWorker" | "cidrs">, problems: ProblemList) {
  const n = opts.interfacesPerWorker;
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.interfacesPerWorker) {
    problems.add({
      what: `--interfaces must be 1 to ${LIMITS.interfacesPerWorker}, got ${n}`,
      where: "--interfaces",
      next: `the data-network template has ${LIMITS.interfacesPerWorker} interface slots per worker (device index 1 to ${LIMITS.interfacesPerWorker})`,
    });
  }
  for (const [zone, text] of Object.entries(opts.cidrs ?? {})) {
    const c = parseCidr(text);
    if (!c)
      problems.add({
        what: `"${text}" is not an IPv4 network in CIDR form`,
        where: `--cidr ${zone}=${text}`,
        next: "e.g. --cidr us-east-1a=10.0.200.0/24",
      });
    else if (c.prefix < 16 || c.prefix > 28) {
      problems.add({
        what: `a subnet must be /16 to /28, got /${c.prefix}`,
        where: `--cidr ${zone}=${text}`,
      });
    }
  }
}

/**
 * Checks what can be checked before any AWS call (--interfaces, --cidr shapes), reporting all
 * problems together, so bad input is never hidden behind an unreachable endpoint.
 */
export function checkUpOptions(opts: Pick<PlanOptions, "interfacesPerWorker" | "cidrs">): void {
  const problems = new ProblemList();
  shapeProblems(opts, problems);
  problems.throwIfAny();
}

export function planDataNetwork(inv: Inventory, opts: PlanOptions): DataNetworkPlan {
  const problems = new ProblemList();
  shapeProblems(opts, problems);
  const n = opts.interfacesPerWorker;
  if (inv.workers.length === 0) {
    problems.add({
      what: `no running metal workers found for cluster ${inv.infraId}`,
      where: `EC2 instances tagged kubernetes.io/cluster/${inv.infraId} with a *.metal instance type`,
      next: "create them first (llw aws machineset ... | oc apply -f -) and wait until the machines are running",
    });
  }
  if (inv.workers.length > LIMITS.workers) {
    problems.add({
      what: `${inv.workers.length} metal workers found; the data-network template has ${LIMITS.workers} worker slots`,
      where: inv.workers.map((w) => w.instanceId).join(", "),
      next: "choose up to four with --instance-ids <ids>",
    });
  }
  const zonesWanted = [...new Set(inv.workers.map((w) => w.zone))].sort();
  if (zonesWanted.length > LIMITS.zones) {
    problems.add({
      what: `metal workers span ${zonesWanted.length} availability zones; the template has ${LIMITS.zones} zone slots`,
      where: zonesWanted.join(", "),
      next: "choose workers in at most three zones with --instance-ids <ids>",
    });
  }
  for (const w of inv.workers) {
    const max = w.maxInterfaces ?? 15;
    if (1 + n > max) {
      problems.add({
        what: `${w.instanceId} (${w.instanceType}) allows ${max} network interfaces; 1 primary + ${n} data interfaces do not fit`,
        where: "--interfaces",
      });
    }
    const clash = w.foreignDeviceIndexes.filter((d) => d >= 1 && d <= n);
    if (clash.length > 0) {
      problems.add({
        what: `${w.instanceId} already has other ENIs at device index ${clash.join(", ")}`,
        where: w.instanceId,
        next: "detach them, or lower --interfaces; llw only uses device indexes 1 and up that are free",
      });
    }
  }
  const vpcCidrs = inv.vpcCidrs.map((c) => parseCidr(c)).filter((c) => c !== undefined);
  const used = inv.subnets.map((s) => parseCidr(s.cidr)).filter((c) => c !== undefined);
  const stackCidrs = new Map<string, string>();
  for (let s = 1; s <= LIMITS.zones; s++) {
    const z = inv.current?.[param.zone(s)];
    const c = inv.current?.[param.cidr(s)];
    if (z && c) stackCidrs.set(z, c);
  }
  for (const [zone, text] of Object.entries(opts.cidrs ?? {})) {
    const c = parseCidr(text);
    const kept = stackCidrs.get(zone);
    const otherStack = [...stackCidrs].find(([z, sc]) => {
      const p = parseCidr(sc);
      return z !== zone && c !== undefined && p !== undefined && overlaps(p, c);
    });
    if (kept !== undefined && kept !== text) {
      problems.add({
        what: `the data subnet in ${zone} is ${kept}; a subnet's range cannot change without replacing it and every ENI in it`,
        where: `--cidr ${zone}=${text}`,
        next: `leave --cidr ${zone} out (the stack keeps ${kept}), or run \`llw aws network down\` first`,
      });
    } else if (otherStack) {
      problems.add({
        what: `${text} overlaps the data subnet of ${otherStack[0]} (${otherStack[1]})`,
        where: `--cidr ${zone}=${text}`,
      });
    }
    // A CIDR of the wrong shape was reported above; only well-formed ones are compared with the VPC.
    if (!c || c.prefix < 16 || c.prefix > 28) {
      // nothing more to say about it
    } else if (!vpcCidrs.some((v) => contains(v, c))) {
      problems.add({
        what: `${text} is outside the VPC ${inv.vpcId} (${inv.vpcCidrs.join(", ")})`,
        where: `--cidr ${zone}=${text}`,
      });
    } else {
      const other = inv.subnets.find((s) => {
        const sc = parseCidr(s.cidr);
        return sc !== undefined && overlaps(sc, c);
      });
      if (other) {
        problems.add({
          what: `${text} overlaps subnet ${other.id} (${other.cidr}, ${other.zone})`,
          where: `--cidr ${zone}=${text}`,
          next: "choose a free range, or leave --cidr out and llw picks one",
        });
      }
    }
    if (!zonesWanted.includes(zone)) {
      problems.add({
        what: `no metal worker runs in ${zone}`,
        where: `--cidr ${zone}=${text}`,
        next: `zones with metal workers: ${zonesWanted.join(", ") || "none"}`,
      });
    }
  }
  problems.throwIfAny();

  const zoneSlots = assignSlots(
    zonesWanted,
    (z) => z,
    previousSlots(inv.current, param.zone, LIMITS.zones),
    LIMITS.zones,
  );
  const previousCidr = stackCidrs;
  // The stack's current subnets still exist while an update runs (CloudFormation creates before it
  // deletes): a new zone never gets the range of one being removed.
  const taken = [
    ...used,
    ...[...previousCidr.values()].map((c) => parseCidr(c)).filter((c) => c !== undefined),
  ];
  const zones: DataNetworkPlan["zones"] = [];
  for (const [slot, zone] of [...zoneSlots].sort((a, b) => a[0] - b[0])) {
    let cidr = opts.cidrs?.[zone] ?? previousCidr.get(zone);
    if (!cidr) {
      const free = freeBlocks(vpcCidrs, taken, opts.subnetPrefix ?? 24).next();
      if (free.done) {
        problems.add({
          what: `no free /${opts.subnetPrefix ?? 24} left in VPC ${inv.vpcId} (${inv.vpcCidrs.join(", ")}) for a data subnet in ${zone}`,
          next: "associate a secondary CIDR with the VPC (aws ec2 associate-vpc-cidr-block) or pass --cidr zone=cidr",
        });
        continue;
      }
      cidr = formatCidr(free.value);
    }
    if (!previousCidr.has(zone) || previousCidr.get(zone) !== cidr) taken.push(parseCidr(cidr)!);
    zones.push({ slot, zone, cidr });
  }
  problems.throwIfAny();

  // A worker whose instance is gone leaves its slot to a newcomer in the same zone: a Machine the
  // machine API replaced (same MachineSet, same zone) gets the old instance's ENIs re-attached,
  // with their MAC and address, instead of new ones.
  const workerSlots = assignSlots(
    [...inv.workers].sort((a, b) => a.zone.localeCompare(b.zone) || a.instanceId.localeCompare(b.instanceId)),
    (w) => w.instanceId,
    previousSlots(inv.current, param.worker, LIMITS.workers),
    LIMITS.workers,
    (w, slot) => inv.current?.[param.workerZone(slot)] === w.zone,
  );
  const workers = [...workerSlots]
    .sort((a, b) => a[0] - b[0])
    .map(([slot, w]) => ({
      slot,
      instanceId: w.instanceId,
      zone: w.zone,
      deviceIndexes: Array.from({ length: n }, (_, i) => i + 1),
    }));

  const parameters: Record<string, string> = {
    [param.infraId]: inv.infraId,
    [param.vpc]: inv.vpcId,
    [param.count]: String(n),
    [param.attach]: opts.attachWith === "cloudformation" ? "true" : "false",
  };
  for (let s = 1; s <= LIMITS.zones; s++) {
    const z = zones.find((x) => x.slot === s);
    parameters[param.zone(s)] = z?.zone ?? "";
    parameters[param.cidr(s)] = z?.cidr ?? "";
  }
  for (let s = 1; s <= LIMITS.workers; s++) {
    const w = workers.find((x) => x.slot === s);
    parameters[param.worker(s)] = w?.instanceId ?? "";
    parameters[param.workerZone(s)] = w?.zone ?? "";
  }
  return { parameters, zones, workers };
}
